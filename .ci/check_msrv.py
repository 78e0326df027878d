"""Fails when a dependency in Cargo.lock needs a newer Rust than the workspace's rust-version."""
import json
import subprocess
import sys


def version(text):
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


metadata = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform",
         subprocess.run(["rustc", "-vV"], check=True, capture_output=True, text=True)
         .stdout.split("host: ")[1].split()[0]],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
)
members = set(metadata["workspace_members"])
declared = {p["name"]: p["rust_version"] for p in metadata["packages"] if p["id"] in members}
ours = min(version(v) for v in declared.values() if v)
resolved = {node["id"] for node in metadata["resolve"]["nodes"]}
needs = [
    (version(p["rust_version"]), p["name"], p["version"])
    for p in metadata["packages"]
    if p["id"] in resolved and p["id"] not in members and p.get("rust_version")
]
highest = max(needs)
print(f"rust-version {'.'.join(map(str, ours))}; highest need in Cargo.lock: "
      f"{highest[1]} {highest[2]} needs {'.'.join(map(str, highest[0]))}")
if highest[0] > ours:
    sys.exit("rust-version in Cargo.toml is lower than what the dependencies need")
