//! The rules of OpenAI's strict structured output, checked on our own schemas.

use serde_json::Value;

/// Every way `schema` breaks the strict-mode rules:
/// - every object sets `additionalProperties: false`;
/// - every property is listed in `required`;
/// - no `allOf`, `not`, `if` / `then` / `else`;
/// - optional values are written as `["T", "null"]`, never by leaving them out of `required`.
pub fn strict_problems(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(schema, "$", &mut out);
    out
}

fn walk(v: &Value, path: &str, out: &mut Vec<String>) {
    let Value::Object(m) = v else {
        return;
    };
    for banned in ["allOf", "not", "if", "then", "else"] {
        if m.contains_key(banned) {
            out.push(format!("{path}: '{banned}' is not allowed in strict mode"));
        }
    }
    let is_object = match m.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => m.contains_key("properties"),
    };
    if is_object {
        if m.get("additionalProperties") != Some(&Value::Bool(false)) {
            out.push(format!("{path}: objects must set additionalProperties: false"));
        }
        let props = m.get("properties").and_then(Value::as_object);
        let required: Vec<&str> = m
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match props {
            None => out.push(format!("{path}: objects must list their properties")),
            Some(props) => {
                for (name, sub) in props {
                    if !required.contains(&name.as_str()) {
                        out.push(format!("{path}.{name}: every property must be listed in required"));
                    }
                    walk(sub, &format!("{path}.{name}"), out);
                }
                for r in &required {
                    if !props.contains_key(*r) {
                        out.push(format!("{path}: required names unknown property '{r}'"));
                    }
                }
            }
        }
    }
    if let Some(items) = m.get("items") {
        walk(items, &format!("{path}[]"), out);
    }
    for key in ["anyOf", "$defs", "definitions"] {
        match m.get(key) {
            Some(Value::Array(xs)) => {
                for (i, x) in xs.iter().enumerate() {
                    walk(x, &format!("{path}.{key}[{i}]"), out);
                }
            }
            Some(Value::Object(defs)) => {
                for (k, x) in defs {
                    walk(x, &format!("{path}.{key}.{k}"), out);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_each_kind_of_violation() {
        let bad = json!({"type": "object", "properties": {
            "a": {"type": "string"},
            "b": {"type": "object", "properties": {}, "additionalProperties": true},
            "c": {"allOf": []}
        }, "required": ["a", "c"], "additionalProperties": false});
        let p = strict_problems(&bad);
        assert!(p.iter().any(|x| x.contains("$.b: every property")), "{p:?}");
        assert!(p.iter().any(|x| x.contains("$.b: objects must set")), "{p:?}");
        assert!(p.iter().any(|x| x.contains("'allOf'")), "{p:?}");
        let good = json!({"type": "object", "properties": {"a": {"type": ["string", "null"]}},
                          "required": ["a"], "additionalProperties": false});
        assert!(strict_problems(&good).is_empty());
    }
}
