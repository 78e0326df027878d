//! One AFL target for every parser of untrusted bytes; the first byte picks which one reads
//! the rest: client lines, the line framing, names, and PROXY headers. A crash or a hang in
//! any of them is a finding.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Some((&which, rest)) = data.split_first() else {
            return;
        };
        match which % 4 {
            0 => {
                let _ = classcord_protocol::parse_line(rest);
                let _ = classcord_protocol::malformed_login_user(rest);
            }
            1 => classcord::fuzzing::line_codec(rest),
            2 => classcord::fuzzing::name_rules(rest),
            _ => classcord::fuzzing::proxy_header(rest),
        }
    });
}
