//! Aligned text tables for people at a terminal: a page of tasks, and the
//! rows other lists (queues) make.

use serde_json::Value;

/// How a column reads its cell from a task.
type Cell = fn(&Value) -> String;

/// The columns: header, and how to read the cell from a task.
const COLUMNS: [(&str, Cell); 7] = [
    ("ID", |task| text(&task["id"])),
    ("TYPE", |task| text(&task["type"])),
    ("QUEUE", |task| text(&task["queue"])),
    ("STATUS", |task| text(&task["status"])),
    ("ATTEMPTS", |task| {
        format!("{}/{}", text(&task["attempts"]), text(&task["max_retries"]))
    }),
    ("CREATED", |task| text(&task["created_at"])),
    ("LAST ERROR", |task| first_line(&text(&task["last_error"]))),
];

/// The longest error shown in a cell; `tasks show` has the whole of it.
const ERROR_WIDTH: usize = 60;

/// The tasks as lines: a header, then one line per task.
pub fn render(tasks: &[Value]) -> String {
    let rows: Vec<Vec<String>> = tasks
        .iter()
        .map(|task| COLUMNS.iter().map(|(_, cell)| cell(task)).collect())
        .collect();
    let header: Vec<&str> = COLUMNS.iter().map(|(header, _)| *header).collect();
    aligned(&header, &rows)
}

/// `header` and `rows` as lines whose columns line up, two spaces apart.
pub fn aligned(header: &[&str], rows: &[Vec<String>]) -> String {
    debug_assert!(
        rows.iter().all(|row| row.len() == header.len()),
        "a row has another width"
    );
    let widths: Vec<usize> = header
        .iter()
        .enumerate()
        .map(|(i, header)| {
            let widest = rows.iter().map(|row| row[i].chars().count()).max();
            widest.unwrap_or(0).max(header.len())
        })
        .collect();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    std::iter::once(&header)
        .chain(rows)
        .map(|row| line(row, &widths))
        .collect()
}

fn line(cells: &[String], widths: &[usize]) -> String {
    let padded: Vec<String> = cells
        .iter()
        .zip(widths)
        .map(|(cell, width)| format!("{cell:<width$}"))
        .collect();
    format!("{}\n", padded.join("  ").trim_end())
}

/// A JSON value as a cell: strings without quotes, null as nothing.
pub fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    match line.char_indices().nth(ERROR_WIDTH) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::render;
    use serde_json::json;

    #[test]
    fn columns_line_up() {
        let tasks = [
            json!({"id": "a1", "type": "EMAIL", "queue": "default", "status": "QUEUED",
                   "attempts": 0, "max_retries": 3, "created_at": "2024-01-01T00:00:00Z", "last_error": null}),
            json!({"id": "b2", "type": "SMS", "queue": "q", "status": "FAILED",
                   "attempts": 3, "max_retries": 3, "created_at": "2024-01-02T00:00:00Z",
                   "last_error": "boom\nsecond line"}),
        ];
        let table = render(&tasks);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("ID  TYPE   QUEUE    STATUS  ATTEMPTS"));
        assert!(lines[1].starts_with("a1  EMAIL  default  QUEUED  0/3"));
        assert!(lines[2].ends_with("boom"), "{table}");
    }
}
