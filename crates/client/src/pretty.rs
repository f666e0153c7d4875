//! Indents JSON text for people without parsing it into values, so key order
//! and numbers stay exactly as the server wrote them (a parse into
//! `serde_json::Value` would sort keys and could round big numbers).

/// The same JSON document, indented by two spaces per level.
pub fn indent(json: &str) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = json.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // An empty object or array stays on one line: `{}`, `[]`.
                if chars.peek().is_some_and(|next| matches!(next, '}' | ']')) {
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n("  ", depth));
}

#[cfg(test)]
mod tests {
    use super::indent;

    #[test]
    fn indents_and_keeps_order_numbers_and_strings() {
        let text = r#"{"z":1,"a":[12345678901234567890,{}],"s":"a, {b}: \"c\"","e":[]}"#;
        let expected = "{\n  \"z\": 1,\n  \"a\": [\n    12345678901234567890,\n    {}\n  ],\n  \"s\": \"a, {b}: \\\"c\\\"\",\n  \"e\": []\n}";
        assert_eq!(indent(text), expected);
        let reparsed: serde_json::Value = serde_json::from_str(&indent(text)).expect("json");
        assert_eq!(
            reparsed,
            serde_json::from_str::<serde_json::Value>(text).expect("json")
        );
    }

    #[test]
    fn scalars_pass_through() {
        assert_eq!(indent(" \"x\" "), "\"x\"");
        assert_eq!(indent("null"), "null");
    }
}
