//! Pre-trade risk (placeholder for the first commit).

use crate::domain::Order;

/// An order the risk manager approved; only these reach a broker.
#[derive(Clone, Debug, PartialEq)]
pub struct Approved(pub(crate) Order);

impl Approved {
    /// The approved order.
    #[must_use]
    pub fn order(&self) -> &Order {
        &self.0
    }
}
