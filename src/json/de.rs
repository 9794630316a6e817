//! The strict reader as a serde format: typed inputs (the request envelope,
//! the policy, the lifecycle event) are `#[derive(Deserialize)]` types read
//! from the tree that [`parse`](super::parse) built.
//!
//! Why over the tree and not over the bytes: every input needs the tree
//! anyway. Duplicate keys can only be refused once an object's last key is
//! read, the rules read the request body as a tree, a lifecycle step
//! carries the record's unknown fields byte for byte, and the policy
//! digest is taken over the whole document. So the reader stays the one
//! place that enforces size, depth, duplicate keys, surrogates and number
//! spelling, and this module only walks what it built: borrowed strings,
//! no copies, and the JSON Pointer of every fault.
//!
//! The contract's words for faults map onto serde's error constructors:
//! `invalid_type` is `WRONG_TYPE`, `missing_field` `MISSING_FIELD`,
//! `unknown_field` `UNKNOWN_FIELD`, `invalid_value` and `unknown_variant`
//! `INVALID_VALUE`. A `Deserialize` impl that needs another code of the
//! contract (`UNKNOWN_RULE`, say) names it with [`coded`].
//!
//! Two parts of an input are kept as tree nodes, not typed: the request
//! body (the rules read it, and must see every field whatever its type) and
//! the stored record (its faults are rule findings, not envelope faults).
//! [`Object`] keeps such a node's place, handed over through
//! serde by a handshake only this format answers (as serde_json's
//! `RawValue` hands over text and toml's `Spanned` a span); the reader of
//! the typed value then takes the node from the tree it read from. A
//! reference into the tree cannot travel through serde's data model (a
//! visitor only ever receives primitives and borrowed text), and the node's
//! place can, so no pointer crosses the boundary and nothing is `unsafe`.

use std::fmt::{self, Display};
use std::marker::PhantomData;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, Deserialize, DeserializeSeed, Expected, MapAccess, SeqAccess, Unexpected, Visitor};
use zeroize::Zeroizing;

use super::{push_pointer_segment, JsonStr, Value};
use crate::code::Code;

/// What a `null` means in the input being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    /// `null` is absent (docs/RULES.md section 0: the request and the event). A
    /// struct's member whose name it knows and whose value is `null` is
    /// skipped as if it were not there, so a required one is missing; an
    /// unknown name is still refused, whatever its value. A map (the
    /// headers) skips every `null` member.
    Absent,
    /// `null` is a wrong type wherever it appears (docs/RULES.md section 5: a
    /// policy says what it means or leaves the field out).
    Refused,
}

/// Reads a `T` from a parsed value.
pub fn from_value<'de, T: Deserialize<'de>>(value: &'de Value<'de>, nulls: Nulls) -> Result<T, DeError> {
    T::deserialize(Deserializer::new(value, nulls))
}

/// An `invalid_value` fault with a contract code of its own (`UNKNOWN_RULE`,
/// say), for a `Deserialize` impl, which can build its error only through
/// serde's generic constructors. The code travels as its name in
/// `Unexpected::Other`, and this format reads it back as the same [`Code`]
/// (every code of the table, so none is lost on the way); any other serde
/// format shows it as "invalid value: CODE, expected …". Taking a [`Code`]
/// means a mistyped code does not compile.
pub fn coded<E: de::Error>(code: Code, expected: &'static str) -> E {
    E::invalid_value(Unexpected::Other(code.name()), &expected)
}

/// One step of the way to a fault. A key can be anything a caller wrote,
/// a token included: the copy is wiped when the fault is dropped.
#[derive(Clone, PartialEq, Eq)]
enum Segment {
    Key(Zeroizing<String>),
    Index(usize),
}

/// A value that does not fit the type read from it: the contract's code,
/// where it is (collected while the fault travels out of the nested
/// `Deserialize` calls, innermost first), and what is wrong, said as a
/// predicate of the field ("must be a string, found a number").
///
/// Neither Display nor Debug shows the pointer: a key can be anything a
/// caller wrote, a token included. [`crate::Error::from_de`] redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct DeError {
    code: Code,
    segments: Vec<Segment>,
    predicate: String,
}

impl DeError {
    fn new(code: Code, predicate: impl Into<String>) -> Self {
        DeError { code, segments: Vec::new(), predicate: predicate.into() }
    }

    fn wrong_type(expected: &str, found: &Value<'_>) -> Self {
        DeError::new(Code::WrongType, format!("must be {expected}, found {}", found.type_name()))
    }

    #[cold]
    fn at_key(mut self, key: &str) -> Self {
        self.segments.push(Segment::Key(Zeroizing::new(key.to_owned())));
        self
    }

    #[cold]
    fn at_index(mut self, index: usize) -> Self {
        self.segments.push(Segment::Index(index));
        self
    }

    /// The same fault, found at `keys` (outermost first) below where it was
    /// made: for a typed input that reports a fault the way its JSON twin
    /// would.
    pub fn within(mut self, keys: &[&str]) -> Self {
        for key in keys.iter().rev() {
            self = self.at_key(key);
        }
        self
    }

    /// The contract code: `WRONG_TYPE`, `MISSING_FIELD`, `UNKNOWN_FIELD`,
    /// `INVALID_VALUE` or one named through [`coded`].
    pub fn code(&self) -> Code {
        self.code
    }

    /// The JSON Pointer of the fault (RFC 6901), relative to the value the
    /// read started at.
    pub fn pointer(&self) -> String {
        let mut pointer = String::new();
        for segment in self.segments.iter().rev() {
            match segment {
                Segment::Key(key) => push_pointer_segment(&mut pointer, key),
                Segment::Index(index) => {
                    pointer.push('/');
                    pointer.push_str(&index.to_string());
                }
            }
        }
        pointer
    }

    /// What is wrong, as a predicate of the field at [`Self::pointer`].
    pub fn predicate(&self) -> &str {
        &self.predicate
    }
}

impl fmt::Debug for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeError({} at <pointer withheld>: {})", self.code, self.predicate)
    }
}

impl Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: the value {}", self.code, self.predicate)
    }
}

impl std::error::Error for DeError {}

/// The JSON type an `Unexpected` stands for. The value itself is never
/// repeated: it may be a customer token.
fn type_of(unexpected: &Unexpected<'_>) -> &'static str {
    match unexpected {
        Unexpected::Bool(_) => "a boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => "a number",
        Unexpected::Char(_) | Unexpected::Str(_) => "a string",
        Unexpected::Unit | Unexpected::Option => "null",
        Unexpected::Seq => "an array",
        Unexpected::Map => "an object",
        _ => "a value of another kind",
    }
}

impl de::Error for DeError {
    fn custom<T: Display>(message: T) -> Self {
        DeError::new(Code::InvalidValue, message.to_string())
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        DeError::new(Code::WrongType, format!("must be {expected}, found {}", type_of(&unexpected)))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        // Any other `Other` text ("text", "a repeated scope") names the kind
        // of value, not a code: it is an invalid value.
        let code = match unexpected {
            Unexpected::Other(name) => Code::from_name(name).unwrap_or(Code::InvalidValue),
            _ => Code::InvalidValue,
        };
        DeError::new(code, format!("must be {expected}"))
    }

    fn invalid_length(length: usize, expected: &dyn Expected) -> Self {
        DeError::new(Code::InvalidValue, format!("must be {expected}, found {length} items"))
    }

    fn unknown_variant(_variant: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(Code::InvalidValue, format!("must be one of {}", expected.join(", ")))
    }

    /// The key is named by the pointer, which the map adds on the way out.
    fn unknown_field(_field: &str, expected: &'static [&'static str]) -> Self {
        let predicate = match expected {
            [] => "is not allowed here".to_owned(),
            known => format!("is not a known field (known: {})", known.join(", ")),
        };
        DeError::new(Code::UnknownField, predicate)
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::new(Code::MissingField, "is required").at_key(field)
    }

    /// The reader refuses duplicate keys before anything is typed; kept
    /// for completeness.
    fn duplicate_field(field: &'static str) -> Self {
        DeError::new(Code::DuplicateKey, "appears twice").at_key(field)
    }
}

/// Every integer width reads as the contract's integer; the visitor of the
/// width checks the range.
macro_rules! forward_to_integer {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                self.deserialize_i64(visitor)
            }
        )*
    };
}

/// A value of the tree, as a serde `Deserializer`.
#[derive(Clone, Copy)]
pub struct Deserializer<'de> {
    value: &'de Value<'de>,
    nulls: Nulls,
    /// The value's index among the members (or items) of the object (or
    /// array) that holds it; 0 for the value a read starts at. What a
    /// [`Object`] keeps.
    place: usize,
}

impl<'de> Deserializer<'de> {
    pub fn new(value: &'de Value<'de>, nulls: Nulls) -> Self {
        Deserializer { value, nulls, place: 0 }
    }

    /// An object for a map (`known` is `None`) or a struct (its fields).
    fn object<V: Visitor<'de>>(self, known: Option<&'static [&'static str]>, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Object(members) => visitor.visit_map(Members {
                members: members.iter().enumerate(),
                pending: None,
                nulls: self.nulls,
                known,
            }),
            other => Err(DeError::wrong_type("an object", other)),
        }
    }

    fn integer(&self) -> Result<i64, DeError> {
        match self.value {
            Value::Number(number) => number.as_integer().ok_or_else(|| {
                DeError::new(Code::WrongType, "must be an integer, found a number that is not an integer")
            }),
            other => Err(DeError::wrong_type("an integer", other)),
        }
    }

    fn string(&self) -> Result<&'de str, DeError> {
        match self.value {
            Value::String(text) => Ok(text.as_str()),
            other => Err(DeError::wrong_type("a string", other)),
        }
    }
}

impl<'de> de::Deserializer<'de> for Deserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(flag) => visitor.visit_bool(*flag),
            Value::Number(number) => match number.as_integer() {
                Some(integer) => visitor.visit_i64(integer),
                // The reader has checked that the literal is a finite double.
                None => visitor.visit_f64(number.literal().parse().unwrap_or(f64::NAN)),
            },
            Value::String(text) => visitor.visit_borrowed_str(text.as_str()),
            Value::Array(items) => visitor.visit_seq(Items { items: items.iter().enumerate(), nulls: self.nulls }),
            Value::Object(_) => self.object(None, visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Bool(flag) => visitor.visit_bool(*flag),
            other => Err(DeError::wrong_type("a boolean", other)),
        }
    }

    /// Integers in the contract's sense only (docs/RULES.md section 0): `100.0`,
    /// `1e2` and `-0` are numbers but not integers.
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_i64(self.integer()?)
    }

    forward_to_integer! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_str(self.string()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match (self.value, self.nulls) {
            (Value::Null, Nulls::Absent) => visitor.visit_none(),
            (Value::Null, Nulls::Refused) => {
                Err(DeError::new(Code::WrongType, "must not be null; leave it out instead"))
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            other => Err(DeError::wrong_type("null", other)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Array(items) => visitor.visit_seq(Items { items: items.iter().enumerate(), nulls: self.nulls }),
            other => Err(DeError::wrong_type("an array", other)),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.object(None, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.object(Some(fields), visitor)
    }

    /// The contract's enums are strings (`"TOKENIZED"`, `"deny"`).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_enum(BorrowedStrDeserializer::<DeError>::new(self.string()?))
    }

    /// [`Object`] asks for its node under a name of its own; the answer
    /// is the handshake map of [`Handshake`].
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        match name {
            OBJECT_NODE => match self.value {
                Value::Object(_) => visitor.visit_map(Handshake { place: Some(self.place) }),
                other => Err(DeError::wrong_type("an object", other)),
            },
            _ => visitor.visit_newtype_struct(self),
        }
    }

    /// The reader has checked the whole tree already: nothing to walk.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 f32 f64 char bytes byte_buf unit_struct tuple tuple_struct
    }
}

/// An object's members, in document order.
struct Members<'de> {
    members: std::iter::Enumerate<std::slice::Iter<'de, (JsonStr<'de>, Value<'de>)>>,
    /// The member whose key was just read and its index, for `next_value_seed`.
    pending: Option<(usize, &'de (JsonStr<'de>, Value<'de>))>,
    nulls: Nulls,
    /// The fields of the struct being read; `None` for a map.
    known: Option<&'static [&'static str]>,
}

impl Members<'_> {
    /// A `null` member is skipped when `null` is absent: in a map always,
    /// in a struct when the struct knows the name (an unknown name is
    /// still refused, whatever its value).
    fn skips(&self, key: &str, value: &Value<'_>) -> bool {
        self.nulls == Nulls::Absent && value.is_null() && self.known.is_none_or(|fields| fields.contains(&key))
    }
}

impl<'de> MapAccess<'de> for Members<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        while let Some((place, member)) = self.members.next() {
            let (key, value) = member;
            if self.skips(key.as_str(), value) {
                continue;
            }
            self.pending = Some((place, member));
            let key = key.as_str();
            // A fault in a key points at that key.
            return seed.deserialize(BorrowedStrDeserializer::<DeError>::new(key)).map(Some).map_err(|e| e.at_key(key));
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (place, (key, value)) = self
            .pending
            .take()
            .ok_or_else(|| DeError::new(Code::InvalidValue, "a value was asked for before its key"))?;
        seed.deserialize(Deserializer { value, nulls: self.nulls, place }).map_err(|e| e.at_key(key.as_str()))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}

/// An array's items, in order.
struct Items<'de> {
    items: std::iter::Enumerate<std::slice::Iter<'de, Value<'de>>>,
    nulls: Nulls,
}

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some((index, value)) => seed
                .deserialize(Deserializer { value, nulls: self.nulls, place: index })
                .map(Some)
                .map_err(|e| e.at_index(index)),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The newtype name [`Object`] asks for; only this format answers it (any
/// other calls `visit_newtype_struct`, which its visitor refuses).
const OBJECT_NODE: &str = "$ctpolicy::json::de::Object";
/// The one member's name in the answer to [`OBJECT_NODE`].
const PLACE_MEMBER: &str = "$ctpolicy::json::de::place";

/// The answer to [`OBJECT_NODE`]: a map of one member, [`PLACE_MEMBER`]
/// and the node's place (as toml's `Spanned` is handed its span).
struct Handshake {
    place: Option<usize>,
}

impl<'de> MapAccess<'de> for Handshake {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        match self.place {
            Some(_) => seed.deserialize(BorrowedStrDeserializer::<DeError>::new(PLACE_MEMBER)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let place =
            self.place.take().ok_or_else(|| DeError::new(Code::InvalidValue, "the handshake has one member"))?;
        seed.deserialize(de::value::U64Deserializer::<DeError>::new(place as u64))
    }
}

/// Reads the handshake: the one member named [`PLACE_MEMBER`], a place.
struct PlaceVisitor;

impl<'de> Visitor<'de> for PlaceVisitor {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value read by ctpolicy's strict reader")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let name: &'de str = map.next_key()?.ok_or_else(|| de::Error::custom("the handshake is empty"))?;
        if name != PLACE_MEMBER {
            return Err(de::Error::custom("not the handshake of ctpolicy's strict reader"));
        }
        let place: u64 = map.next_value()?;
        usize::try_from(place).map_err(|_| de::Error::custom("a place beyond the tree"))
    }
}

/// The member (of an object) or the item (of an array) at `place`.
fn node_at<'v>(parent: &'v Value<'v>, place: usize) -> Option<&'v Value<'v>> {
    match parent {
        Value::Object(members) => members.get(place).map(|(_, value)| value),
        Value::Array(items) => items.get(place),
        _ => None,
    }
}

/// A node that must be a JSON object (the request's `body`, a stored
/// record), kept as a node: its place in the object or array that holds
/// it, handed over by the handshake (a fault in its type is reported at
/// the member, in document order, like any other). Take the node with
/// [`Object::node_in`] from the value the read started at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Object {
    place: usize,
}

impl Object {
    /// The object's members in `parent`, the value that holds it; `None`
    /// when `parent` is not the value this was read from.
    pub fn members_in<'v>(self, parent: &'v Value<'v>) -> Option<&'v [(JsonStr<'v>, Value<'v>)]> {
        self.node_in(parent).and_then(Value::as_object)
    }

    /// The object in `parent` (see [`Self::members_in`]).
    pub fn node_in<'v>(self, parent: &'v Value<'v>) -> Option<&'v Value<'v>> {
        node_at(parent, self.place).filter(|node| matches!(node, Value::Object(_)))
    }
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(OBJECT_NODE, PlaceVisitor).map(|place| Object { place })
    }
}

/// An object read as its members in document order, for objects whose
/// keys are typed (header names, payment scopes, currencies, rule codes):
/// a fault in a key or a value points at that member.
pub struct Entries<K, V>(pub Vec<(K, V)>);

impl<K, V> Default for Entries<K, V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Entries<K, V> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<K, V>(PhantomData<(K, V)>);

        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<K, V> {
            type Value = Entries<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<K, V>, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(key) = map.next_key()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Entries(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// `Some` when the value reads as a `T`, `None` when it does not: for
/// inputs whose contract checks come in an order of their own (a lifecycle
/// event is checked type, then `at`, then `by`, whatever order its fields
/// come in), so the check, not the field order, decides which fault is
/// reported.
#[derive(Clone, Copy)]
pub struct Lenient<T>(pub Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Lenient(T::deserialize(deserializer).ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Arena};
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample<'a> {
        flag: bool,
        #[serde(borrow)]
        name: Option<&'a str>,
        count: Option<i64>,
        #[serde(default)]
        list: Vec<i64>,
    }

    fn fault(input: &str, nulls: Nulls) -> (&'static str, String) {
        let arena = Arena::new();
        let value = parse(input.as_bytes(), &arena).expect("valid JSON");
        let error = from_value::<Sample<'_>>(&value, nulls).expect_err("a fault");
        (error.code().name(), error.pointer())
    }

    #[test]
    fn a_struct_reads_with_borrowed_strings() {
        let arena = Arena::new();
        let value = parse(br#"{"name":"a\nb","flag":true,"count":7,"list":[1,2]}"#, &arena).unwrap();
        let sample: Sample<'_> = from_value(&value, Nulls::Absent).unwrap();
        assert_eq!(sample, Sample { flag: true, name: Some("a\nb"), count: Some(7), list: vec![1, 2] });
    }

    #[test]
    fn faults_carry_the_contract_code_and_pointer() {
        assert_eq!(fault(r#"{"flag":1}"#, Nulls::Absent), ("WRONG_TYPE", "/flag".into()));
        assert_eq!(fault(r#"{"name":"x"}"#, Nulls::Absent), ("MISSING_FIELD", "/flag".into()));
        assert_eq!(fault(r#"{"flag":true,"x/y":1}"#, Nulls::Absent), ("UNKNOWN_FIELD", "/x~1y".into()));
        assert_eq!(fault(r#"{"flag":true,"list":[1,"2"]}"#, Nulls::Absent), ("WRONG_TYPE", "/list/1".into()));
        assert_eq!(fault(r#"{"flag":true,"count":1.0}"#, Nulls::Absent), ("WRONG_TYPE", "/count".into()));
        assert_eq!(fault(r#"{"flag":true,"count":-0}"#, Nulls::Absent), ("WRONG_TYPE", "/count".into()));
        assert_eq!(fault("[]", Nulls::Absent), ("WRONG_TYPE", String::new()));
    }

    #[test]
    fn the_first_fault_in_document_order_wins_then_missing_fields() {
        assert_eq!(fault(r#"{"count":"x","nope":1}"#, Nulls::Absent), ("WRONG_TYPE", "/count".into()));
        assert_eq!(fault(r#"{"nope":1,"count":"x"}"#, Nulls::Absent), ("UNKNOWN_FIELD", "/nope".into()));
    }

    #[test]
    fn null_is_absent_or_refused() {
        // Absent: a known null is skipped (so a required one is missing),
        // an unknown one is still refused.
        assert_eq!(fault(r#"{"flag":null}"#, Nulls::Absent), ("MISSING_FIELD", "/flag".into()));
        assert_eq!(fault(r#"{"flag":true,"nope":null}"#, Nulls::Absent), ("UNKNOWN_FIELD", "/nope".into()));
        let arena = Arena::new();
        let value = parse(br#"{"flag":true,"name":null,"count":null}"#, &arena).unwrap();
        let sample: Sample<'_> = from_value(&value, Nulls::Absent).unwrap();
        assert_eq!((sample.name, sample.count), (None, None));
        // Refused: null is a wrong type wherever it is.
        assert_eq!(fault(r#"{"flag":true,"name":null}"#, Nulls::Refused), ("WRONG_TYPE", "/name".into()));
    }

    #[test]
    fn messages_never_repeat_the_value() {
        let secret = "krn:customer-token:eu1:secret-id-1234";
        let input = format!(r#"{{"flag":"{secret}","{secret}":1}}"#);
        let arena = Arena::new();
        let value = parse(input.as_bytes(), &arena).unwrap();
        let error = from_value::<Sample<'_>>(&value, Nulls::Absent).unwrap_err();
        assert!(!error.predicate().contains("secret-id"), "{}", error.predicate());
        assert!(!format!("{error} {error:?}").contains("secret-id"));
    }

    #[test]
    fn raw_hands_over_the_node_and_only_to_this_format() {
        #[derive(Deserialize)]
        struct Holder {
            body: Object,
            list: Option<Vec<Object>>,
            any: Option<Object>,
        }
        let arena = Arena::new();
        let value = parse(br#"{"any":null,"list":[{},{"x":1}],"body":{"a":[1,2.50]}}"#, &arena).unwrap();
        let holder: Holder = from_value(&value, Nulls::Absent).unwrap();
        let body = holder.body.node_in(&value).unwrap();
        assert!(std::ptr::eq(body, value.get("body").unwrap()));
        assert!(std::ptr::eq(holder.body.members_in(&value).unwrap(), body.as_object().unwrap()));
        assert!(holder.any.is_none(), "a null member is absent");
        let list = value.get("list").unwrap();
        let items = holder.list.unwrap();
        assert!(std::ptr::eq(items[0].node_in(list).unwrap(), &list.as_array().unwrap()[0]));
        assert!(std::ptr::eq(items[1].node_in(list).unwrap(), &list.as_array().unwrap()[1]));
        // Held against a value it was not read from, a place finds nothing
        // (or nothing of the kind it was read as).
        assert!(holder.body.node_in(list).is_none());
        assert!(holder.body.node_in(&Value::Null).is_none());

        let wrong = parse(br#"{"body":[1]}"#, &arena).unwrap();
        let error = from_value::<Holder>(&wrong, Nulls::Absent).err().unwrap();
        assert_eq!((error.code().name(), error.pointer().as_str()), ("WRONG_TYPE", "/body"));
        assert_eq!(error.predicate(), "must be an object, found an array");
        // Another format cannot forge a place: it offers a newtype, a
        // number or a map, and the handshake is none of them.
        assert!(serde_json::from_str::<Object>("null").is_err());
        assert!(serde_json::from_str::<Object>("3").is_err());
        assert!(serde_json::from_str::<Object>("{}").is_err());
        assert!(serde_json::from_str::<Object>(r#"{"$ctpolicy::json::de::place":0}"#).is_err());
    }

    #[test]
    fn lenient_keeps_what_reads_and_drops_what_does_not() {
        #[derive(Deserialize)]
        struct Event<'a> {
            #[serde(default, borrow)]
            at: Lenient<&'a str>,
            #[serde(default)]
            n: Lenient<i64>,
        }
        let arena = Arena::new();
        let value = parse(br#"{"at":5,"n":3,"other":[]}"#, &arena).unwrap();
        let event: Event<'_> = from_value(&value, Nulls::Absent).unwrap();
        assert_eq!((event.at.0, event.n.0), (None, Some(3)));
    }

    #[test]
    fn coded_faults_keep_their_code() {
        for code in Code::ALL {
            let error: DeError = coded(code, "a rule code");
            assert_eq!((error.code(), error.predicate()), (code, "must be a rule code"));
        }
        let plain: DeError = de::Error::invalid_value(Unexpected::Other("SOMETHING"), &"x");
        assert_eq!(plain.code(), Code::InvalidValue);
    }
}
