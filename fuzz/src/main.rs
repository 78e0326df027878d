//! One AFL target for every parser of untrusted bytes; the first byte picks which one reads
//! the rest: client lines, the line framing, names, PROXY headers, and slash commands typed
//! in a chat box. A crash or a hang in
//! any of them is a finding.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Some((&which, rest)) = data.split_first() else {
            return;
        };
        match which % 5 {
            0 => {
                let _ = classcord_protocol::parse_line(rest);
                let _ = classcord_protocol::malformed_login_user(rest);
            }
            1 => classcord::fuzzing::line_codec(rest),
            2 => classcord::fuzzing::name_rules(rest),
            3 => classcord::fuzzing::proxy_header(rest),
            _ => {
                if let Ok(text) = std::str::from_utf8(rest) {
                    let _ = classcord_protocol::parse_slash(text);
                }
            }
        }
    });
}
