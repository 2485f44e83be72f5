//! Sends a schema's properties in the order the model must write them.
//!
//! JSON maps in sfd are sorted by key, so a schema built as `title, description,
//! characters` would go out as `characters, description, title`, and a
//! constrained decoder (llama.cpp grammars, OpenAI strict mode) would write the
//! title last. The order lives in the schema's `required` list (strict mode
//! lists every property there); [`SchemaOrder`] writes `properties` in it.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// A JSON value written with the `properties` of every object that has a
/// `required` list in that list's order (properties it leaves out follow).
pub(crate) struct SchemaOrder<'a>(pub &'a Value);

impl Serialize for SchemaOrder<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Array(xs) => s.collect_seq(xs.iter().map(SchemaOrder)),
            Value::Object(m) => {
                let order = m.get("required").and_then(Value::as_array);
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    match (k.as_str(), v, order) {
                        ("properties", Value::Object(props), Some(order)) => {
                            map.serialize_entry(k, &InOrder(props, order))?;
                        }
                        _ => map.serialize_entry(k, &SchemaOrder(v))?,
                    }
                }
                map.end()
            }
            other => other.serialize(s),
        }
    }
}

/// `props` written in the order of `order`, then any it does not name.
struct InOrder<'a>(&'a Map<String, Value>, &'a [Value]);

impl Serialize for InOrder<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let InOrder(props, order) = *self;
        let named: Vec<&str> = order
            .iter()
            .filter_map(Value::as_str)
            .filter(|k| props.contains_key(*k))
            .collect();
        let mut map = s.serialize_map(Some(props.len()))?;
        for k in &named {
            if let Some(v) = props.get(*k) {
                map.serialize_entry(k, &SchemaOrder(v))?;
            }
        }
        for (k, v) in props.iter().filter(|(k, _)| !named.contains(&k.as_str())) {
            map.serialize_entry(k, &SchemaOrder(v))?;
        }
        map.end()
    }
}

/// `value` as JSON text, schema properties in order.
pub(crate) fn to_ordered_json(value: &Value) -> String {
    serde_json::to_string(&SchemaOrder(value)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn properties_follow_required() {
        let schema = json!({"type": "object", "required": ["title", "speaker", "line"],
            "properties": {"line": {"type": "string"}, "speaker": {"type": "string"}, "title": {"type": "string"},
                           "extra": {"type": "integer"}}});
        let text = to_ordered_json(&json!({"wrapped": [schema]}));
        let at = |k: &str| text.find(&format!("\"{k}\":{{")).unwrap();
        assert!(
            at("title") < at("speaker") && at("speaker") < at("line") && at("line") < at("extra"),
            "{text}"
        );
        // Nothing is lost or changed, only reordered.
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["wrapped"][0]["properties"]["extra"], json!({"type": "integer"}));
    }
}
