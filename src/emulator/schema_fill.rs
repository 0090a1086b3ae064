//! A value that satisfies a JSON Schema: the input the emulator's default answer gives a tool the request
//! forces (docs/emulator.md "Forced tool choice").
//!
//! Deterministic and minimal: an object gets its required properties (and more only when
//! `minProperties` asks), an array `max(minItems, 1)` items (none when `maxItems` is 0, or when
//! nested deep), a string the
//! example of its `format` (or `"example"`) fitted to `minLength`/`maxLength` and, when it has a
//! `pattern`, the first of a few candidates that matches it; numbers sit inside `minimum`/`maximum`
//! (exclusive ones too) on a `multipleOf`. `const` and `enum` win over `type`; `$ref` follows local
//! pointers (`#/$defs/…`, `#/definitions/…`); `anyOf`/`oneOf` take their first branch, `allOf` is merged.
//! Recursive schemas stop at a depth limit with the smallest value of the type.

use serde_json::{Map, Number, Value, json};

/// How deep `$ref`s and nesting are followed before the smallest value is given instead.
const MAX_DEPTH: usize = 24;

/// Below this depth an optional array gets one item; deeper, none.
const SHALLOW: usize = 6;

/// A value that validates against `schema` (as far as the rules above reach).
pub fn fill(schema: &Value) -> Value {
    Filler { root: schema }.value(schema, 0, 0)
}

struct Filler<'a> {
    root: &'a Value,
}

/// Strings a `pattern` is tried against, in order.
const PATTERN_CANDIDATES: &[&str] = &[
    "example",
    "a",
    "A",
    "0",
    "1",
    "abc",
    "ABC",
    "Abc",
    "a1",
    "A1",
    "123",
    "2024-01-01",
    "00:00",
    "user@example.com",
    "https://example.com",
    "example.com",
    "a-b",
    "a_b",
    "+15550100",
    "00000000-0000-4000-8000-000000000000",
    "",
];

fn format_example(format: &str) -> Option<&'static str> {
    Some(match format {
        "date" => "2024-01-01",
        "date-time" => "2024-01-01T00:00:00Z",
        "time" => "00:00:00Z",
        "duration" => "P1D",
        "email" | "idn-email" => "user@example.com",
        "hostname" | "idn-hostname" => "example.com",
        "ipv4" => "192.0.2.1",
        "ipv6" => "2001:db8::1",
        "uri" | "iri" | "url" => "https://example.com",
        "uri-reference" | "iri-reference" => "https://example.com",
        "uri-template" => "https://example.com/{id}",
        "uuid" => "00000000-0000-4000-8000-000000000000",
        "json-pointer" => "/a",
        "relative-json-pointer" => "0",
        "regex" => ".*",
        _ => return None,
    })
}

impl Filler<'_> {
    /// `variant` makes sibling array items differ (for `uniqueItems`).
    fn value(&self, schema: &Value, depth: usize, variant: usize) -> Value {
        let schema = match schema {
            Value::Bool(_) => return json!({}),
            Value::Object(object) => object,
            _ => return Value::Null,
        };
        if depth > MAX_DEPTH {
            return smallest(schema);
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            return match self.resolve(reference) {
                Some(target) if schema.len() == 1 => self.value(target, depth + 1, variant),
                Some(target) => {
                    // Siblings of `$ref` (2019-09 and later) apply too: merge them over the target.
                    let mut merged = target.as_object().cloned().unwrap_or_default();
                    for (key, value) in schema.iter().filter(|(key, _)| *key != "$ref") {
                        merged.insert(key.clone(), value.clone());
                    }
                    self.value(&Value::Object(merged), depth + 1, variant)
                }
                None => json!({}),
            };
        }
        if let Some(constant) = schema.get("const") {
            return constant.clone();
        }
        if let Some(Value::Array(values)) = schema.get("enum")
            && !values.is_empty()
        {
            return values[variant % values.len()].clone();
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(first) = schema.get(key).and_then(Value::as_array).and_then(|branches| branches.first()) {
                let mut merged = first.as_object().cloned().unwrap_or_default();
                for (own, value) in schema.iter().filter(|(own, _)| *own != key) {
                    merged.entry(own.clone()).or_insert_with(|| value.clone());
                }
                return self.value(&Value::Object(merged), depth + 1, variant);
            }
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            let mut merged = schema.clone();
            merged.remove("allOf");
            for part in parts {
                let part = match part.get("$ref").and_then(Value::as_str).and_then(|r| self.resolve(r)) {
                    Some(target) => target,
                    None => part,
                };
                merge_into(&mut merged, part);
            }
            return self.value(&Value::Object(merged), depth + 1, variant);
        }
        match type_of(schema, depth).as_str() {
            "object" => self.object(schema, depth, variant),
            "array" => self.array(schema, depth, variant),
            "string" => Value::String(self.string(schema, variant)),
            "integer" => integer(schema, variant),
            "number" => number(schema, variant),
            "boolean" => Value::Bool(variant.is_multiple_of(2)),
            _ => Value::Null,
        }
    }

    /// A local reference: `#`, `#/$defs/X`, `#/definitions/X`, or any JSON pointer into the root.
    fn resolve(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.strip_prefix('#')?;
        let decoded = percent_encoding::percent_decode_str(pointer).decode_utf8().ok()?;
        self.root.pointer(&decoded)
    }

    fn object(&self, schema: &Map<String, Value>, depth: usize, variant: usize) -> Value {
        let properties = schema.get("properties").and_then(Value::as_object);
        let property_schema = |name: &str| -> Value {
            properties
                .and_then(|properties| properties.get(name))
                .cloned()
                .or_else(|| schema.get("additionalProperties").filter(|extra| extra.is_object()).cloned())
                .unwrap_or_else(|| json!({"type": "string"}))
        };
        let mut object = Map::new();
        let required = schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
        for name in required {
            object.insert(name.to_owned(), self.value(&property_schema(name), depth + 1, variant));
        }
        let wanted = schema.get("minProperties").and_then(Value::as_u64).unwrap_or(0) as usize;
        for name in properties.into_iter().flat_map(|properties| properties.keys()) {
            if object.len() >= wanted {
                break;
            }
            if !object.contains_key(name) {
                object.insert(name.clone(), self.value(&property_schema(name), depth + 1, variant));
            }
        }
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        let mut extra = 0;
        while object.len() < wanted && !closed && extra < wanted {
            let name = format!("property{extra}");
            extra += 1;
            if !object.contains_key(&name) {
                object.insert(name.clone(), self.value(&property_schema(&name), depth + 1, variant));
            }
        }
        Value::Object(object)
    }

    fn array(&self, schema: &Map<String, Value>, depth: usize, variant: usize) -> Value {
        let max = schema.get("maxItems").and_then(Value::as_u64).map(|max| max as usize);
        let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
        // 2020-12 `prefixItems`, or draft 4–2019 tuple `items`, then `items` (or additionalItems) for the rest.
        let prefix: Vec<Value> = match (schema.get("prefixItems"), schema.get("items")) {
            (Some(Value::Array(prefix)), _) | (None, Some(Value::Array(prefix))) => prefix.clone(),
            _ => Vec::new(),
        };
        let rest = match schema.get("items") {
            Some(Value::Array(_)) => schema.get("additionalItems").cloned(),
            Some(items) => Some(items.clone()),
            None => None,
        };
        // One item where none is required, unless nested deep (a recursive schema must end somewhere).
        let least = if depth < SHALLOW { 1 } else { 0 };
        let count = min.max(prefix.len()).max(least).min(max.unwrap_or(usize::MAX));
        let count = if rest.as_ref() == Some(&Value::Bool(false)) { count.min(prefix.len()) } else { count };
        let mut items: Vec<Value> = (0..count)
            .map(|index| {
                let item_schema =
                    prefix.get(index).or(rest.as_ref()).cloned().unwrap_or_else(|| json!({"type": "string"}));
                self.value(&item_schema, depth + 1, variant + index)
            })
            .collect();
        if let Some(contains) = schema.get("contains")
            && let Ok(validator) = jsonschema::validator_for(contains)
            && !items.iter().any(|item| validator.is_valid(item))
        {
            let wanted = self.value(contains, depth + 1, variant);
            match items.first_mut() {
                Some(first) if prefix.is_empty() => *first = wanted,
                _ => items.push(wanted),
            }
        }
        Value::Array(items)
    }

    fn string(&self, schema: &Map<String, Value>, variant: usize) -> String {
        let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = schema.get("maxLength").and_then(Value::as_u64).map(|max| max as usize);
        let format = schema.get("format").and_then(Value::as_str).and_then(format_example);
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && let Ok(regex) = regex::Regex::new(pattern)
        {
            let fits = |text: &str| {
                let length = text.chars().count();
                regex.is_match(text) && length >= min && max.is_none_or(|max| length <= max)
            };
            if let Some(generated) = matching(pattern).filter(|text| fits(text)) {
                return generated;
            }
            let candidates = format.into_iter().chain(PATTERN_CANDIDATES.iter().copied());
            if let Some(found) = candidates.clone().find(|candidate| fits(candidate)) {
                return found.to_owned();
            }
            let padded = candidates.map(|candidate| fit_length(candidate.to_owned(), min, max)).find(|c| fits(c));
            if let Some(found) = padded {
                return found;
            }
        }
        let base = match (format, variant) {
            (Some(example), _) => example.to_owned(),
            (None, 0) => "example".to_owned(),
            (None, n) => format!("example{n}"),
        };
        if format.is_some() { base } else { fit_length(base, min, max) }
    }
}

/// A string the regular expression matches, built from its syntax tree: the first branch of each
/// alternation, the minimum count of each repetition, a readable character of each class.
fn matching(pattern: &str) -> Option<String> {
    use regex_syntax::hir::{Class, Hir, HirKind};
    fn pick(ranges: impl Iterator<Item = (char, char)> + Clone) -> Option<char> {
        let preferred = ['a', '0', 'A', 'x', '_', '-', ' '];
        preferred
            .into_iter()
            .find(|c| ranges.clone().any(|(start, end)| (start..=end).contains(c)))
            .or_else(|| ranges.clone().map(|(start, _)| start).find(|c| !c.is_control()))
            .or_else(|| ranges.clone().next().map(|(start, _)| start))
    }
    fn walk(hir: &Hir, out: &mut String) -> Option<()> {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(literal) => out.push_str(std::str::from_utf8(&literal.0).ok()?),
            HirKind::Class(Class::Unicode(class)) => {
                out.push(pick(class.ranges().iter().map(|range| (range.start(), range.end())))?);
            }
            HirKind::Class(Class::Bytes(class)) => {
                out.push(pick(
                    class.ranges().iter().map(|range| (char::from(range.start()), char::from(range.end()))),
                )?);
            }
            HirKind::Repetition(repetition) => {
                for _ in 0..repetition.min.min(64) {
                    walk(&repetition.sub, out)?;
                }
            }
            HirKind::Capture(capture) => walk(&capture.sub, out)?,
            HirKind::Concat(parts) => parts.iter().try_for_each(|part| walk(part, out))?,
            HirKind::Alternation(branches) => walk(branches.first()?, out)?,
        }
        Some(())
    }
    let hir = regex_syntax::parse(pattern).ok()?;
    let mut out = String::new();
    walk(&hir, &mut out)?;
    Some(out)
}

fn fit_length(mut text: String, min: usize, max: Option<usize>) -> String {
    let length = text.chars().count();
    if length < min {
        text.extend(std::iter::repeat_n('x', min - length));
    }
    if let Some(max) = max
        && text.chars().count() > max
    {
        text = text.chars().take(max).collect();
    }
    text
}

/// The schema's type: `type` (the first non-null of a list), else what its keywords imply.
fn type_of(schema: &Map<String, Value>, depth: usize) -> String {
    match schema.get("type") {
        Some(Value::String(kind)) => return kind.clone(),
        Some(Value::Array(kinds)) => {
            let named = kinds.iter().filter_map(Value::as_str);
            if let Some(kind) = named.clone().find(|kind| *kind != "null").or_else(|| named.clone().next()) {
                return kind.to_owned();
            }
        }
        _ => {}
    }
    let has = |keys: &[&str]| keys.iter().any(|key| schema.contains_key(*key));
    if has(&["properties", "required", "additionalProperties", "minProperties", "maxProperties"]) {
        "object"
    } else if has(&["items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems"]) {
        "array"
    } else if has(&["minLength", "maxLength", "pattern", "format"]) {
        "string"
    } else if has(&["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]) {
        "number"
    } else if depth == 0 {
        // A tool's input is an object even when its schema says nothing.
        "object"
    } else {
        "string"
    }
    .to_owned()
}

/// The smallest value of the schema's type, for recursion that went too deep.
fn smallest(schema: &Map<String, Value>) -> Value {
    match type_of(schema, 1).as_str() {
        "object" => json!({}),
        "array" => json!([]),
        "integer" | "number" => json!(0),
        "boolean" => json!(false),
        "null" => Value::Null,
        _ => json!(""),
    }
}

/// Merges an `allOf` part into `target`: properties and required lists are joined, other keys are
/// kept from whichever came first (bounds are narrowed).
fn merge_into(target: &mut Map<String, Value>, part: &Value) {
    let Some(part) = part.as_object() else { return };
    for (key, value) in part {
        match (key.as_str(), target.get_mut(key)) {
            ("properties", Some(Value::Object(existing))) => {
                if let Some(more) = value.as_object() {
                    for (name, schema) in more {
                        existing.entry(name.clone()).or_insert_with(|| schema.clone());
                    }
                }
            }
            ("required", Some(Value::Array(existing))) => {
                for name in value.as_array().into_iter().flatten() {
                    if !existing.contains(name) {
                        existing.push(name.clone());
                    }
                }
            }
            ("minimum" | "exclusiveMinimum" | "minLength" | "minItems" | "minProperties", Some(existing)) => {
                if value.as_f64() > existing.as_f64() {
                    *existing = value.clone();
                }
            }
            ("maximum" | "exclusiveMaximum" | "maxLength" | "maxItems" | "maxProperties", Some(existing)) => {
                if value.as_f64() < existing.as_f64() {
                    *existing = value.clone();
                }
            }
            (_, Some(_)) => {}
            (_, None) => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The lower and upper bounds of a number schema, exclusive ones (draft 6+ numbers, draft 4 booleans) marked.
/// A bound and whether it is exclusive.
type Bound = Option<(f64, bool)>;

fn bounds(schema: &Map<String, Value>) -> (Bound, Bound) {
    let get = |key: &str| schema.get(key).and_then(Value::as_f64);
    let lower = match (get("minimum"), schema.get("exclusiveMinimum")) {
        (Some(minimum), Some(Value::Bool(true))) => Some((minimum, true)),
        (minimum, Some(Value::Number(exclusive))) => {
            let exclusive = exclusive.as_f64().unwrap_or(f64::MIN);
            match minimum {
                Some(minimum) if minimum > exclusive => Some((minimum, false)),
                _ => Some((exclusive, true)),
            }
        }
        (Some(minimum), _) => Some((minimum, false)),
        (None, _) => None,
    };
    let upper = match (get("maximum"), schema.get("exclusiveMaximum")) {
        (Some(maximum), Some(Value::Bool(true))) => Some((maximum, true)),
        (maximum, Some(Value::Number(exclusive))) => {
            let exclusive = exclusive.as_f64().unwrap_or(f64::MAX);
            match maximum {
                Some(maximum) if maximum < exclusive => Some((maximum, false)),
                _ => Some((exclusive, true)),
            }
        }
        (Some(maximum), _) => Some((maximum, false)),
        (None, _) => None,
    };
    (lower, upper)
}

fn integer(schema: &Map<String, Value>, variant: usize) -> Value {
    let (lower, upper) = bounds(schema);
    let low = lower.map(|(value, exclusive)| if exclusive { value.floor() as i64 + 1 } else { value.ceil() as i64 });
    let high = upper.map(|(value, exclusive)| if exclusive { value.ceil() as i64 - 1 } else { value.floor() as i64 });
    let step = schema.get("multipleOf").and_then(Value::as_f64).filter(|step| *step >= 1.0 && step.fract() == 0.0);
    let step = step.map_or(1, |step| step as i64);
    let mut value = match (low, high) {
        (Some(low), _) => low,
        (None, Some(high)) if high < 0 => high,
        _ => 0,
    };
    value = value.saturating_add(i64::try_from(variant).unwrap_or(0));
    if let Some(high) = high {
        value = value.min(high);
    }
    // Up to the next multiple, down when that passes the maximum.
    let remainder = value.rem_euclid(step);
    if remainder != 0 {
        let up = value + (step - remainder);
        value = if high.is_some_and(|high| up > high) { value - remainder } else { up };
    }
    json!(value)
}

fn number(schema: &Map<String, Value>, variant: usize) -> Value {
    if let Some(step) = schema.get("multipleOf").and_then(Value::as_f64).filter(|step| *step > 0.0) {
        let (lower, upper) = bounds(schema);
        let mut multiple = match lower {
            Some((low, exclusive)) => {
                let k = (low / step).ceil();
                if exclusive && k * step <= low { k + 1.0 } else { k }
            }
            None => 0.0,
        } + variant as f64;
        if let Some((high, exclusive)) = upper {
            while multiple * step > high || (exclusive && multiple * step >= high) {
                multiple -= 1.0;
            }
        }
        return float(multiple * step);
    }
    let (lower, upper) = bounds(schema);
    let value = match (lower, upper) {
        (Some((low, _)), Some((high, _))) => {
            let middle = low + (high - low) / 2.0;
            let nudged = middle + variant as f64;
            if nudged < high { nudged } else { middle }
        }
        (Some((low, exclusive)), None) => low + if exclusive { 1.0 } else { 0.0 } + variant as f64,
        (None, Some((high, exclusive))) => {
            let start = if high > 0.0 { 0.0 } else { high - if exclusive { 1.0 } else { 0.0 } };
            start - variant as f64
        }
        (None, None) => variant as f64,
    };
    float(value)
}

/// A whole float as a JSON integer (`1` rather than `1.0`), anything else as a float.
fn float(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        json!(value as i64)
    } else {
        Number::from_f64(value).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every generated value validates against its schema (formats asserted too).
    #[test]
    fn generated_inputs_validate_against_their_schemas() {
        let schemas = [
            json!({}),
            json!({"type": "object"}),
            json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
            json!({"type": "object", "required": ["unit"], "properties": {"unit": {"enum": ["celsius", "fahrenheit"]}}}),
            json!({"type": "object", "required": ["kind"], "properties": {"kind": {"const": "point"}}}),
            json!({"type": "object", "required": ["when", "at", "mail", "site", "id", "t"], "properties": {
                "when": {"type": "string", "format": "date"},
                "at": {"type": "string", "format": "date-time"},
                "mail": {"type": "string", "format": "email"},
                "site": {"type": "string", "format": "uri"},
                "id": {"type": "string", "format": "uuid"},
                "t": {"type": "string", "format": "time"}
            }}),
            json!({"type": "object", "required": ["name", "code", "short"], "properties": {
                "name": {"type": "string", "minLength": 12},
                "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "short": {"type": "string", "maxLength": 3}
            }}),
            json!({"type": "object", "required": ["n", "p", "x", "m", "f", "neg"], "properties": {
                "n": {"type": "integer", "minimum": 5, "maximum": 7},
                "p": {"type": "integer", "exclusiveMinimum": 0},
                "x": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "m": {"type": "integer", "minimum": 3, "multipleOf": 5},
                "f": {"type": "number", "minimum": 0.5, "maximum": 0.75, "multipleOf": 0.25},
                "neg": {"type": "number", "maximum": -10}
            }}),
            json!({"type": "object", "required": ["tags", "pair", "none"], "properties": {
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 3, "uniqueItems": true},
                "pair": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "boolean"}], "items": false},
                "none": {"type": "array", "maxItems": 0}
            }}),
            json!({"type": "object", "required": ["address"], "properties": {
                "address": {"type": "object", "required": ["street", "zip"], "additionalProperties": false,
                            "properties": {"street": {"type": "string"}, "zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}
            }}),
            json!({"$defs": {"Item": {"type": "object", "required": ["sku", "qty"], "properties": {
                    "sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}}},
                   "type": "object", "required": ["items"],
                   "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "minItems": 2}}}),
            json!({"definitions": {"Color": {"type": "string", "enum": ["red", "green"]}},
                   "type": "object", "required": ["color"], "properties": {"color": {"$ref": "#/definitions/Color"}}}),
            json!({"type": "object", "required": ["value", "choice"], "properties": {
                "value": {"anyOf": [{"type": "integer", "minimum": 10}, {"type": "null"}]},
                "choice": {"oneOf": [{"type": "string", "format": "email"}, {"type": "integer"}]}
            }}),
            json!({"allOf": [{"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
                             {"required": ["b"], "properties": {"b": {"type": "boolean"}}}]}),
            json!({"type": "object", "minProperties": 2, "properties": {"a": {"type": "string"}, "b": {"type": "number"}}}),
            json!({"type": ["object", "null"], "required": ["n"], "properties": {"n": {"type": ["null", "integer"]}}}),
            // Recursive: a tree whose nodes require children.
            json!({"$defs": {"Node": {"type": "object", "required": ["name", "children"], "properties": {
                    "name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}},
                   "$ref": "#/$defs/Node"}),
            // Pydantic's shape for a model with an optional nested model and a literal.
            json!({"$defs": {"Address": {"properties": {"city": {"title": "City", "type": "string"}},
                                         "required": ["city"], "title": "Address", "type": "object"}},
                   "properties": {"name": {"title": "Name", "type": "string"},
                                  "age": {"title": "Age", "type": "integer", "exclusiveMinimum": 0},
                                  "address": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}], "default": null},
                                  "mood": {"enum": ["happy", "sad"], "title": "Mood", "type": "string"}},
                   "required": ["name", "age", "mood"], "title": "Person", "type": "object"}),
        ];
        for schema in schemas {
            let value = fill(&schema);
            let validator = jsonschema::options().should_validate_formats(true).build(&schema).expect("a valid schema");
            let errors: Vec<String> = validator.iter_errors(&value).map(|error| error.to_string()).collect();
            assert!(errors.is_empty(), "{value} does not satisfy {schema}: {errors:?}");
        }
    }

    #[test]
    fn values_are_the_documented_ones() {
        let schema = json!({"type": "object", "required": ["city", "days", "unit"], "properties": {
            "city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}, "unit": {"enum": ["c", "f"]},
            "optional": {"type": "string"}}});
        assert_eq!(fill(&schema), json!({"city": "example", "days": 1, "unit": "c"}));
        assert_eq!(fill(&json!({})), json!({}), "a tool input is an object");
        assert_eq!(fill(&json!({"type": "string", "format": "date"})), json!("2024-01-01"));
    }
}
