//! Formula parser and compiler: any text either parses or gives an error with a span inside
//! the text; a parsed formula is resolved, compiled and evaluated.
#![no_main]

use hta_model::formula::{compile, parse, Env, Reference, SlotLayout, TimeVar};
use hta_model::ParamId;
use libfuzzer_sys::fuzz_target;

const N_PARAMS: usize = 4;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut expr = match parse(text) {
        Ok(expr) => expr,
        Err(error) => {
            assert!(error.span.start <= error.span.end && error.span.end <= text.len(), "span {:?}", error.span);
            return;
        }
    };
    // Time variables by name; any other name is one of a few parameters.
    let mut errors: Vec<()> = Vec::new();
    expr.resolve(
        &mut |name: &str, _span: &std::ops::Range<usize>| {
            Ok::<_, ()>(match TimeVar::from_name(name) {
                Some(var) => Reference::Time(var),
                None => Reference::Param(ParamId::new(name.len() % N_PARAMS)),
            })
        },
        &mut errors,
    );
    let compiled = compile(&expr, &Env::EMPTY);
    let mut slots = vec![0.0; SlotLayout::len(N_PARAMS)];
    for (i, slot) in slots.iter_mut().enumerate() {
        *slot = [3.0, 2.0, 45.0, 1.0, 1.0, 0.5, -1.0, 0.0, 1e300][i % 9];
    }
    let _ = compiled.eval(&slots);
});
