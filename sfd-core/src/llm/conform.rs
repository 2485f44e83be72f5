//! Does an answer have the shape its schema asks for? Every difference is
//! listed, so one repair can fix them all (a parser stops at the first).

use serde_json::Value;

/// Every way `answer` departs from the shape of `schema`: missing fields
/// (with any unknown fields of the same object, likely the model's own names
/// for them) and wrong types, each with its path (`$.characters[0].name`).
/// Unknown fields next to a complete set are ignored.
///
/// Enum values, counts and ranges are left to each stage's own checks, which
/// name the allowed values (a wrong count is mended there, not repaired).
pub fn shape_problems(schema: &Value, answer: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(schema, answer, "$", &mut out);
    out
}

fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ if schema.get("properties").is_some() => vec!["object"],
        _ => Vec::new(),
    }
}

fn is(ty: &str, v: &Value) -> bool {
    match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => true,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(n) if n.is_f64() => "a decimal number",
        Value::Number(_) => "an integer",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn walk(schema: &Value, v: &Value, path: &str, out: &mut Vec<String>) {
    let types = types_of(schema);
    if !types.is_empty() && !types.iter().any(|t| is(t, v)) {
        let want: Vec<&str> = types
            .iter()
            .map(|t| match *t {
                "object" => "an object",
                "array" => "a list",
                "string" => "text",
                "integer" => "an integer",
                "number" => "a number",
                "boolean" => "true or false",
                _ => "null",
            })
            .collect();
        out.push(format!("{path}: must be {}, not {}", want.join(" or "), kind(v)));
        return;
    }
    match v {
        Value::Object(fields) => {
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            let required = schema.get("required").and_then(Value::as_array);
            let before = out.len();
            for name in required.into_iter().flatten().filter_map(Value::as_str) {
                if !fields.contains_key(name) {
                    out.push(format!("{path}: missing field '{name}'"));
                }
            }
            // An extra field harms nothing; next to a missing one it is
            // likely the same field under the model's own name.
            let missing = out.len() > before;
            for (name, value) in fields {
                match props.get(name) {
                    Some(sub) => walk(sub, value, &format!("{path}.{name}"), out),
                    None if missing => {
                        out.push(format!("{path}: unknown field '{name}' (allowed: {})", names(required)));
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, x) in items.iter().enumerate() {
                    walk(item, x, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

fn names(required: Option<&Vec<Value>>) -> String {
    let names: Vec<&str> = required.into_iter().flatten().filter_map(Value::as_str).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_difference_is_listed() {
        let schema = json!({"type": "object", "required": ["title", "cast"], "properties": {
            "title": {"type": "string"},
            "cast": {"type": "array", "items": {"type": "object", "required": ["name", "main"],
                "properties": {"name": {"type": "string"}, "main": {"type": "boolean"}}}}}});
        let answer = json!({"logline": "x", "cast": [{"name": 3, "main": true}, {"main": "yes"}]});
        let p = shape_problems(&schema, &answer);
        assert_eq!(
            p,
            [
                "$: missing field 'title'",
                "$.cast[0].name: must be text, not an integer",
                "$.cast[1]: missing field 'name'",
                "$.cast[1].main: must be true or false, not text",
                "$: unknown field 'logline' (allowed: title, cast)",
            ]
        );
        assert!(shape_problems(&schema, &json!({"title": "t", "cast": [], "extra": 1})).is_empty());
        assert_eq!(
            shape_problems(&schema, &json!([1])),
            ["$: must be an object, not a list"]
        );
    }
}
