//! Technical indicators (placeholder; filled by the indicators work).

/// Indicator input errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum IndicatorError {
    /// A parameter is out of range.
    #[error("invalid parameter {param}: {reason}")]
    Param {
        /// Name.
        param: &'static str,
        /// Why.
        reason: String,
    },
}
