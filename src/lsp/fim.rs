//! Fill-in-the-middle: the prompt built from the text around the cursor, and
//! the model's answer trimmed to what belongs at the cursor (docs/lsp.md
//! "The prompt" and "Trimming").

/// The system prompt of every completion.
pub const SYSTEM_PROMPT: &str = "You complete code at the cursor. The user message holds the text before the \
cursor in <prefix>…</prefix> and the text after it in <suffix>…</suffix>. Answer with only the text to insert \
at the cursor: no explanation, no markdown fences, without repeating the prefix or the suffix. Answer with \
nothing when nothing belongs there.";

/// The text around the cursor a prompt carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context<'a> {
    /// The text before the cursor, at most the bound (cut at a char boundary, its start dropped).
    pub prefix: &'a str,
    /// The text after the cursor, at most the bound (its end dropped).
    pub suffix: &'a str,
}

/// The prefix (up to `before` chars) and suffix (up to `after` chars) around byte `cursor`.
pub fn context(text: &str, cursor: usize, before: usize, after: usize) -> Context<'_> {
    let (head, tail) = text.split_at(cursor);
    let prefix_start = head.char_indices().rev().nth(before.saturating_sub(1)).map_or(0, |(index, _)| index);
    let prefix = if before == 0 { "" } else { &head[prefix_start..] };
    let suffix_end = tail.char_indices().nth(after).map_or(tail.len(), |(index, _)| index);
    Context { prefix, suffix: &tail[..suffix_end] }
}

/// The user message of a completion: `<prefix>…</prefix><suffix>…</suffix>` after a line naming the
/// language and the file. Emulator scripts match it with `lastUserText` (docs/lsp.md).
pub fn prompt(language_id: &str, uri: &str, context: &Context<'_>) -> String {
    format!(
        "Language: {language_id}\nFile: {uri}\n<prefix>{}</prefix><suffix>{}</suffix>",
        context.prefix, context.suffix
    )
}

/// The model's answer cut to what belongs at the cursor: a markdown fence around it removed (a fenced
/// block inside prose: the block), a repetition of the end of the prefix at its start removed when it
/// covers the cursor's line so far (or at least 16 characters), a repetition of the start of the
/// suffix at its end removed when it covers the rest of the cursor's line (and is not only
/// whitespace), and trailing line breaks dropped when the suffix starts a new line.
pub fn trim(answer: &str, prefix: &str, suffix: &str) -> String {
    let mut text = strip_fences(answer).to_string();
    // The prefix repeated.
    let line_so_far = prefix.rsplit(['\n', '\r']).next().unwrap_or("");
    // What was typed on the cursor's line, after its indentation.
    let typed = line_so_far.trim_start();
    let overlap = longest_overlap(prefix, &text);
    if overlap > 0 && (overlap >= 16 || (!line_so_far.is_empty() && overlap >= typed.len().max(1))) {
        text.drain(..overlap);
    } else if !typed.is_empty() && text.trim_start().starts_with(typed) {
        // The line repeated with other indentation.
        let start = text.len() - text.trim_start().len();
        text.drain(..start + typed.len());
    }
    // The suffix repeated.
    let rest_of_line = suffix.split(['\n', '\r']).next().unwrap_or("");
    let overlap = longest_overlap_reversed(&text, suffix);
    if overlap > 0 {
        let repeated = &text[text.len() - overlap..];
        if overlap >= rest_of_line.len() && !repeated.trim().is_empty() {
            text.truncate(text.len() - overlap);
        }
    }
    if suffix.is_empty() || suffix.starts_with(['\n', '\r']) {
        let kept = text.trim_end_matches(['\n', '\r']).len();
        text.truncate(kept);
    }
    text
}

/// The fenced block's body when the answer is (or holds) one markdown code block.
fn strip_fences(answer: &str) -> &str {
    let trimmed = answer.trim_matches(['\n', '\r']);
    let Some(open) = trimmed.find("```") else { return answer };
    // A fence starts a line.
    if open > 0 && !trimmed[..open].ends_with('\n') {
        return answer;
    }
    let after_open = &trimmed[open + 3..];
    // The info string (`rust`, `python`) ends at the line break.
    let Some(body_start) = after_open.find('\n') else { return answer };
    let body = &after_open[body_start + 1..];
    match body.rfind("```") {
        Some(close) if close == 0 || body[..close].ends_with('\n') => body[..close].trim_end_matches(['\n', '\r']),
        _ if open == 0 => body.trim_end_matches(['\n', '\r']),
        _ => answer,
    }
}

/// The largest `k` with `text[..k] == prefix[prefix.len() - k..]` (on char boundaries).
fn longest_overlap(prefix: &str, text: &str) -> usize {
    let limit = prefix.len().min(text.len());
    (1..=limit)
        .rev()
        .find(|&k| {
            text.is_char_boundary(k) && prefix.is_char_boundary(prefix.len() - k) && prefix.ends_with(&text[..k])
        })
        .unwrap_or(0)
}

/// The largest `k` with `text[text.len() - k..] == suffix[..k]` (on char boundaries).
fn longest_overlap_reversed(text: &str, suffix: &str) -> usize {
    let limit = suffix.len().min(text.len());
    (1..=limit)
        .rev()
        .find(|&k| suffix.is_char_boundary(k) && text.is_char_boundary(text.len() - k) && text.ends_with(&suffix[..k]))
        .unwrap_or(0)
}

/// What the code actions ask the model; their answers are trimmed of fences too.
pub mod actions {
    /// `bedrock.explain`.
    pub fn explain(language_id: &str, code: &str) -> String {
        format!("Explain what this {language_id} code does, briefly, in plain text.\n<code>\n{code}\n</code>")
    }

    /// `bedrock.fix`.
    pub fn fix(language_id: &str, code: &str) -> String {
        format!(
            "Fix the bugs in this {language_id} code. Answer with only the corrected code that replaces it, \
             no explanation, no markdown fences.\n<code>\n{code}\n</code>"
        )
    }

    /// `bedrock.document`.
    pub fn document(language_id: &str, code: &str) -> String {
        format!(
            "Write the documentation comment for this {language_id} code, in the language's own comment \
             syntax. Answer with only the comment, no code, no markdown fences.\n<code>\n{code}\n</code>"
        )
    }

    /// The answer without a markdown fence around it.
    pub fn unfenced(answer: &str) -> String {
        super::strip_fences(answer).trim_matches(['\n', '\r']).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_is_bounded_around_the_cursor() {
        let text = "héllo wörld";
        let cursor = text.find(" w").unwrap();
        assert_eq!(context(text, cursor, 3, 2), Context { prefix: "llo", suffix: " w" });
        assert_eq!(context(text, cursor, 100, 100), Context { prefix: "héllo", suffix: " wörld" });
        assert_eq!(context(text, cursor, 0, 0), Context { prefix: "", suffix: "" });
    }

    #[test]
    fn fences_are_removed() {
        assert_eq!(trim("```python\nreturn a + b\n```", "def f():\n    ", "\n"), "return a + b");
        assert_eq!(trim("Here it is:\n```\nx = 1\n```\nDone.", "", ""), "x = 1");
        assert_eq!(trim("```rust\nlet x = 1;", "", ""), "let x = 1;", "an unclosed fence at the start");
        assert_eq!(trim("a ``` b", "", ""), "a ``` b", "backticks inside a line are text");
    }

    #[test]
    fn a_repeated_prefix_is_removed() {
        let prefix = "def add(a, b):\n    return a";
        assert_eq!(trim("    return a + b", prefix, "\n"), " + b", "the cursor's line repeated");
        assert_eq!(trim("def add(a, b):\n    return a + b", prefix, ""), " + b");
        assert_eq!(trim("a + b", "x = ", ""), "a + b", "no overlap");
        assert_eq!(trim("foo(bar)", "let x = foo", ""), "foo(bar)", "a short overlap is kept");
        assert_eq!(trim("    pass", "def f():\n    ", "\n"), "pass", "the indentation already typed");
        assert_eq!(trim("const t = a;", "{\n  const t = ", ""), "a;", "the line repeated without its indentation");
        assert_eq!(trim("\tconst t = a;", "{\n  const t = ", ""), "a;", "the line repeated with other indentation");
        assert_eq!(trim("  x", "{\n  ", ""), "x", "only indentation typed");
    }

    #[test]
    fn a_repeated_suffix_is_removed() {
        assert_eq!(trim("a, b)", "print(", ")\n"), "a, b", "the rest of the line repeated");
        assert_eq!(trim("return 1\n}", "fn f() {\n    ", "\n}\n"), "return 1");
        assert_eq!(trim("x\n", "", "\nmore"), "x");
        assert_eq!(trim("a)", "f(", ") + g()"), "a)", "a repeat shorter than the rest of the line is kept");
    }
}
