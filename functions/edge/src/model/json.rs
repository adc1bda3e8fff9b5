//! Hand-rolled serde for the event model's open objects: known fields plus an `extra` map.
//!
//! [`json_object!`] writes the `Deserialize` and `Serialize` impls of one model struct from
//! its field list; the module doc of [`super`] says why serde's derive with
//! `#[serde(flatten)]` is not used. The generated code reproduces the derive's JSON
//! semantics exactly:
//! - deserialising: `deserialize_map` (a JSON object only, like a struct with a flattened
//!   field), `duplicate field` / `missing field` errors with the JSON name, missing
//!   `default` fields take `Default::default()`, unknown keys land in `extra` (a repeated
//!   unknown key keeps its first position and its last value, as the flatten map did), and
//!   the "expected struct X" wording of type errors;
//! - serialising: `serialize_map(None)`, the known fields in declaration order (`optional`
//!   ones skipped when `None`, as `skip_serializing_if = "Option::is_none"` did), then the
//!   `extra` entries in their order.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// A JSON object key, borrowed from the input when it has no escapes (no allocation for
/// the known keys, which are only compared).
pub(crate) enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(key) => key,
            Key::Owned(key) => key,
        }
    }

    pub(crate) fn into_string(self) -> String {
        match self {
            Key::Borrowed(key) => key.to_owned(),
            Key::Owned(key) => key,
        }
    }
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("field identifier")
            }

            fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(key))
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(key.to_owned()))
            }

            fn visit_string<E: de::Error>(self, key: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(key))
            }
        }

        // Identifier, as the derive's field visitor asks (serde_json treats it as a string;
        // serde_path_to_error records the key from it).
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// `impl Deserialize + Serialize` for a model struct with an `extra: Extra` field.
///
/// Field kinds: `required` (missing → "missing field" error), `default` (missing →
/// `Default::default()`, always serialised), `optional` (an `Option`: missing → `None`,
/// skipped when `None`). The struct literal and the destructuring below list every field, so
/// a field added to a struct but not to its invocation does not compile.
macro_rules! json_object {
    ($ty:ident { $($field:ident: $name:literal $kind:ident),* $(,)? }) => {
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                struct ObjectVisitor;

                impl<'de> ::serde::de::Visitor<'de> for ObjectVisitor {
                    type Value = $ty;

                    fn expecting(
                        &self,
                        formatter: &mut ::core::fmt::Formatter<'_>,
                    ) -> ::core::fmt::Result {
                        formatter.write_str(concat!("struct ", stringify!($ty)))
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> ::core::result::Result<$ty, A::Error> {
                        $(let mut $field = None;)*
                        let mut extra = $crate::model::Extra::new();
                        while let Some(key) =
                            map.next_key::<$crate::model::json::Key<'de>>()?
                        {
                            match key.as_str() {
                                $($name => {
                                    if $field.is_some() {
                                        return Err(
                                            <A::Error as ::serde::de::Error>::duplicate_field($name),
                                        );
                                    }
                                    $field = Some(map.next_value()?);
                                })*
                                _ => {
                                    let value = map.next_value::<::serde_json::Value>()?;
                                    extra.insert(key.into_string(), value);
                                }
                            }
                        }
                        Ok($ty {
                            $($field: json_object!(@take $kind $field $name A),)*
                            extra,
                        })
                    }
                }

                deserializer.deserialize_map(ObjectVisitor)
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap;
                let $ty { $($field,)* extra } = self;
                let mut map = serializer.serialize_map(None)?;
                $(json_object!(@put $kind map $field $name);)*
                for (key, value) in extra {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    };
    (@take required $field:ident $name:literal $access:ident) => {
        match $field {
            Some(value) => value,
            None => return Err(<$access::Error as ::serde::de::Error>::missing_field($name)),
        }
    };
    (@take default $field:ident $name:literal $access:ident) => {
        $field.unwrap_or_default()
    };
    (@take optional $field:ident $name:literal $access:ident) => {
        $field.unwrap_or_default()
    };
    (@put optional $map:ident $field:ident $name:literal) => {
        if let Some(value) = $field {
            $map.serialize_entry($name, value)?;
        }
    };
    (@put $kind:ident $map:ident $field:ident $name:literal) => {
        $map.serialize_entry($name, $field)?;
    };
}

pub(crate) use json_object;
