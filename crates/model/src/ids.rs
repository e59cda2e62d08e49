//! Small typed indices into the model's tables of states, parameters, strategies and so on.

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u32);

        impl $name {
            pub fn new(index: usize) -> Self {
                Self(u32::try_from(index).unwrap_or(u32::MAX))
            }

            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// A health state.
    StateId
);
id_type!(
    /// A parameter.
    ParamId
);
id_type!(
    /// A strategy (intervention or comparator).
    StrategyId
);
id_type!(
    /// A cost category (drug, medical, ...).
    CategoryId
);
id_type!(
    /// A lookup table.
    TableId
);
id_type!(
    /// A survival curve.
    CurveId
);
