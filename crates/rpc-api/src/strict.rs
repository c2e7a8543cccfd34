//! Strict parameters: jsonrpsee's generated parsers ignore parameters they do not know (a
//! misspelt optional name silently means "omitted") and extra positional ones. The server refuses
//! both with `-32602` before dispatch, as `docs/api.md` promises.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;

use crate::{ApiError, ErrorCode, PARAMS};

/// The parameter names of `method` (`None`: not a method of the API).
pub fn param_names(method: &str) -> Option<&'static [&'static str]> {
    PARAMS
        .iter()
        .find(|(name, _)| *name == method)
        .map(|(_, params)| *params)
}

/// Checks the raw JSON `params` of a call against the method's parameter `names`: at most that
/// many by position, and by name none other than these. Anything else that is wrong (malformed
/// JSON, missing or mistyped values, params neither an array nor an object) is left to the
/// method's own parser, which answers `-32602` too.
pub fn check_params(names: &[&str], params: Option<&str>) -> Result<(), ApiError> {
    let Some(text) = params else {
        return Ok(());
    };
    match text.trim_start().as_bytes().first() {
        Some(b'[') => {
            let Ok(list) = serde_json::from_str::<Vec<IgnoredAny>>(text) else {
                return Ok(());
            };
            if list.len() > names.len() {
                return Err(ApiError::with_data(
                    ErrorCode::InvalidParams,
                    serde_json::json!({
                        "reason": "too many parameters",
                        "given": list.len(),
                        "expected": names,
                    }),
                ));
            }
        }
        Some(b'{') => {
            let Ok(map) = serde_json::from_str::<BTreeMap<String, IgnoredAny>>(text) else {
                return Ok(());
            };
            if let Some(unknown) = map.keys().find(|k| !names.contains(&k.as_str())) {
                return Err(ApiError::with_data(
                    ErrorCode::InvalidParams,
                    serde_json::json!({
                        "reason": "unknown parameter",
                        "parameter": unknown,
                        "expected": names,
                    }),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(names: &[&str], params: &str) -> Option<ErrorCode> {
        check_params(names, Some(params)).err().map(|e| e.code)
    }

    #[test]
    fn extra_and_unknown_parameters_are_refused() {
        let header = param_names("debye_header").unwrap();
        assert_eq!(
            code(header, r#"{"num": 1}"#),
            Some(ErrorCode::InvalidParams)
        );
        assert_eq!(code(header, "[1, 2]"), Some(ErrorCode::InvalidParams));
        assert_eq!(code(header, "[1, null]"), Some(ErrorCode::InvalidParams));
        let e = check_params(header, Some(r#"{"number": 1, "num": 1}"#)).unwrap_err();
        assert_eq!(e.data.unwrap()["parameter"], "num");
        let none = param_names("debye_health").unwrap();
        assert_eq!(code(none, "[0]"), Some(ErrorCode::InvalidParams));
        assert_eq!(code(none, r#"{"a": 0}"#), Some(ErrorCode::InvalidParams));
    }

    #[test]
    fn declared_parameters_pass() {
        let history = param_names("debye_rangeHistory").unwrap();
        assert_eq!(
            code(history, r#"[{"start":"0x0","end":"0x1"}, 1, 2]"#),
            None
        );
        assert_eq!(code(history, r#"{"to": 2, "from": 1}"#), None);
        assert_eq!(code(history, " []"), None);
        assert_eq!(code(history, "{}"), None);
        assert_eq!(check_params(history, None), Ok(()));
        // Not ours to judge: the method's parser answers -32602 for these.
        assert_eq!(code(history, "[1,"), None);
        assert_eq!(code(history, "42"), None);
        assert_eq!(param_names("debye_noSuchMethod"), None);
    }
}
