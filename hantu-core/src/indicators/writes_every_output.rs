//! Every batch kernel writes every slot of its outputs, NaN warm-up included, whatever the
//! input: the Python bindings hand the kernels uninitialised numpy arrays (zeroing them first
//! cost as much as some whole kernels), so a slot left unwritten would show the user garbage.
//! Each output starts filled with a marker NaN that no arithmetic produces; after a successful
//! call none may be left.

use proptest::prelude::*;

use super::testing::bars;
use super::*;

/// A NaN with a payload: arithmetic only ever yields the default NaN, so this one survives in
/// a slot only if nothing wrote it.
const MARK: u64 = 0x7ff8_dead_beef_0001;

/// Calls a kernel with `K` marked outputs of `n` slots; fails when a call that succeeded left a mark.
fn check<const K: usize>(name: &str, n: usize, run: impl FnOnce([&mut [f64]; K]) -> Result<(), IndicatorError>) {
    let mut outs: Vec<Vec<f64>> = (0..K).map(|_| vec![f64::from_bits(MARK); n]).collect();
    let mut it = outs.iter_mut().map(Vec::as_mut_slice);
    let slices: [&mut [f64]; K] = std::array::from_fn(|_| it.next().unwrap_or_default());
    if run(slices).is_ok() {
        for (k, o) in outs.iter().enumerate() {
            if let Some(i) = o.iter().position(|v| v.to_bits() == MARK) {
                panic!("{name}: output {k} slot {i} of {n} was never written");
            }
        }
    }
}

/// Puts NaN at a few positions (fractions of the length).
fn holes(mut x: Vec<f64>, at: &[f64]) -> Vec<f64> {
    let n = x.len();
    for f in at {
        let i = ((n as f64) * f) as usize;
        if i < n {
            x[i] = f64::NAN;
        }
    }
    x
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_every_kernel_writes_every_slot(
        (h, l, c, v) in bars(),
        p in 1usize..40,
        nans in prop::collection::vec(0.0f64..1.0, 0..2),
        t in 0u32..6,
    ) {
        let c = holes(c, &nans);
        let (h, l, c, v) = (&h[..], &l[..], &c[..], &v[..]);
        let n = c.len();
        let q = p.max(2);
        let ma = MaType::from_code("matype", [0, 1, 2, 3, 4, 6][t as usize]).unwrap();
        check("sma", n, |[o]| sma_into(c, p, o));
        check("ema", n, |[o]| ema_into(c, p, o));
        check("wma", n, |[o]| wma_into(c, p, o));
        check("dema", n, |[o]| dema_into(c, p, o));
        check("tema", n, |[o]| tema_into(c, p, o));
        check("kama", n, |[o]| kama_into(c, p, o));
        check("trix", n, |[o]| trix_into(c, p, o));
        check("rsi", n, |[o]| rsi_into(c, p, o));
        check("cmo", n, |[o]| cmo_into(c, p, o));
        check("roc", n, |[o]| roc_into(c, p, o));
        check("mom", n, |[o]| mom_into(c, p, o));
        check("linearreg", n, |[o]| linearreg_into(c, p, o));
        check("var", n, |[o]| var_into(c, p, o));
        check("stddev", n, |[o]| stddev_into(c, p, 2.0, o));
        check("jma", n, |[o]| jma_into(c, p, 50.0, 2.0, o));
        check("bbands", n, |[a, b, d]| bbands_ma_into(c, p, 2.0, 2.0, ma, a, b, d));
        check("macd", n, |[a, b, d]| macd_into(c, p, p + 5, 3, a, b, d));
        check("macdext", n, |[a, b, d]| macdext_into(c, p, ma, p + 5, MaType::Sma, 3, ma, a, b, d));
        check("macdfix", n, |[a, b, d]| macdfix_into(c, p, a, b, d));
        check("stochrsi", n, |[a, b]| stochrsi_into(c, q, 5, 3, a, b));
        check("atr", n, |[o]| atr_into(h, l, c, p, o));
        check("natr", n, |[o]| natr_into(h, l, c, p, o));
        check("trange", n, |[o]| trange_into(h, l, c, o));
        check("adx", n, |[o]| adx_into(h, l, c, q, o));
        check("plus_di", n, |[o]| plus_di_into(h, l, c, p, o));
        check("minus_di", n, |[o]| minus_di_into(h, l, c, p, o));
        check("cci", n, |[o]| cci_into(h, l, c, q, o));
        check("willr", n, |[o]| willr_into(h, l, c, p, o));
        check("ultosc", n, |[o]| ultosc_into(h, l, c, p, p + 3, 2 * p, o));
        check("stoch", n, |[a, b]| stoch_ma_into(h, l, c, p, 3, 3, ma, MaType::Sma, a, b));
        check("stochf", n, |[a, b]| stochf_into(h, l, c, p, 3, a, b));
        check("midprice", n, |[o]| midprice_into(h, l, p, o));
        check("sar", n, |[o]| sar_into(h, l, 0.02, 0.2, o));
        check("aroon", n, |[a, b]| aroon_into(h, l, q, a, b));
        check("obv", n, |[o]| obv_into(c, v, o));
        check("mfi", n, |[o]| mfi_into(h, l, c, v, q, o));
        check("ad", n, |[o]| ad_into(h, l, c, v, o));
        check("adosc", n, |[o]| adosc_into(h, l, c, v, q, q + 7, o));
        check("vwap", n, |[o]| vwap_into(h, l, c, v, p, o));
    }
}
