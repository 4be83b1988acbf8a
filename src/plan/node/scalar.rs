//! What an untagged scalar means, exactly as serde-saphyr's untyped
//! deserialization read it (with `strict_booleans`).
//!
//! Chat files were read with serde-saphyr for years, so `12`, `1_000`, `0x1F`,
//! `007` (a float!) and `yes` (a string) must keep the types they had. This
//! mirrors serde-saphyr 2.2's `deserialize_any` scalar path and its
//! `parse_scalars` helpers; the oracle test in [`super::events`] checks the
//! two agree. A scalar serde-saphyr rejects (a non-finite float such as
//! `.inf`) resolves to `None`, and the caller lets serde-saphyr report it.

use granit_parser::ScalarStyle;

use super::Value;

/// The value of an untagged scalar of `style`, or `None` where serde-saphyr
/// would have returned an error.
pub fn resolve(text: &str, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return Some(Value::Str(text.to_owned()));
    }
    if is_null(text) {
        return Some(Value::Null);
    }
    let t = yaml_trim(text);
    match t {
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if !may_be_number(unsigned) {
        // Most scalars in a chat file are words (`title`, `Welcome to …`):
        // no integer or float starts with anything else.
        return Some(Value::Str(text.to_owned()));
    }
    let uppercase_radix = matches!(unsigned.as_bytes(), [b'0', b'X' | b'O' | b'B', ..]);
    if uppercase_radix || is_signed_nan(t) {
        return Some(Value::Str(text.to_owned()));
    }
    if t.starts_with('-') {
        if !leading_zero_decimal(t)
            && let Some(v) = int_signed(t).and_then(|v| i64::try_from(v).ok())
        {
            return Some(Value::Int(v.into()));
        }
    } else if let Some(v) = int_unsigned(t).and_then(|v| u64::try_from(v).ok()) {
        return Some(Value::Int(v.into()));
    }
    match float(t) {
        Some(v) if v.is_finite() => Some(Value::Float(v)),
        Some(_) => None,
        None => Some(Value::Str(text.to_owned())),
    }
}

/// serde-saphyr's null spellings for a plain scalar.
pub fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// The integer a plain mapping key stands for, as serde-saphyr compares
/// keys for duplicates (`0xB` and `11` are the same key): sign and magnitude.
pub fn key_integer(text: &str) -> Option<(bool, u128)> {
    let t = yaml_trim(text);
    if !t
        .strip_prefix(['+', '-'])
        .unwrap_or(t)
        .starts_with(|c: char| c.is_ascii_digit())
    {
        // Every integer spelling starts with a digit after its sign.
        return None;
    }
    if t.starts_with('-') {
        let v = int_signed(t)?;
        Some((v < 0, v.unsigned_abs()))
    } else {
        Some((false, int_unsigned(t)?))
    }
}

/// Whether `unsigned` (a plain scalar without its sign) can start a
/// number: integers start with a digit, and floats (YAML's and Rust's,
/// which [`float`] also accepts) with a digit, `.`, or the `inf`,
/// `infinity` and `nan` that Rust reads in any case.
fn may_be_number(unsigned: &str) -> bool {
    unsigned
        .as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'.' | b'i' | b'I' | b'n' | b'N'))
}

fn yaml_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

fn is_signed_nan(t: &str) -> bool {
    t.strip_prefix(['+', '-'])
        .is_some_and(|unsigned| matches!(unsigned, ".nan" | ".NaN" | ".NAN"))
}

/// `0127`, `+0127`, `-0127`: decimal digits with a redundant leading zero.
fn leading_zero_decimal(t: &str) -> bool {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Splits off a `0x`/`0o`/`0b` prefix (either case); 10 otherwise.
fn radix_and_digits(rest: &str) -> (u32, &str) {
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = rest.strip_prefix(prefix) {
            return (radix, digits);
        }
    }
    (10, rest)
}

/// Digits in `radix` with single underscores between them.
fn digits_u128(digits: &str, radix: u32) -> Option<u128> {
    let bytes = digits.as_bytes();
    let mut val: u128 = 0;
    let mut saw = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let prev_ok = i > 0 && bytes[i - 1] != b'_';
            let next_ok = i + 1 < bytes.len() && bytes[i + 1] != b'_';
            if !prev_ok || !next_ok {
                return None;
            }
            continue;
        }
        let d = char::from(b).to_digit(16)?;
        if d >= radix {
            return None;
        }
        val = val
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(d))?;
        saw = true;
    }
    saw.then_some(val)
}

fn int_signed(t: &str) -> Option<i128> {
    let (neg, rest) = match t.strip_prefix('+') {
        Some(r) => (false, r),
        None => match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t),
        },
    };
    let (radix, digits) = radix_and_digits(rest);
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    let mag = digits_u128(digits, radix)?;
    if neg {
        if mag == i128::MAX as u128 + 1 {
            Some(i128::MIN)
        } else {
            i128::try_from(mag).ok()?.checked_neg()
        }
    } else {
        i128::try_from(mag).ok()
    }
}

fn int_unsigned(t: &str) -> Option<u128> {
    if t.starts_with('-') {
        return None;
    }
    let rest = t.strip_prefix('+').unwrap_or(t);
    let (radix, digits) = radix_and_digits(rest);
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    digits_u128(digits, radix)
}

/// YAML 1.2 floats, then Rust's own float syntax for finite values, then a
/// digit-led literal too large for `f64` (`1e999`, infinite).
fn float(t: &str) -> Option<f64> {
    let (negative, unsigned) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    match unsigned {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" if negative => return Some(f64::NEG_INFINITY),
        ".inf" | ".Inf" | ".INF" => return Some(f64::INFINITY),
        _ => {}
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ if unsigned.as_bytes().first().is_some_and(u8::is_ascii_digit) => {
            t.parse::<f64>().ok().filter(|v| v.is_infinite())
        }
        _ => None,
    }
}
