//! Reading bar data from files.

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::error::core_err;
use crate::frames::PyBarData;
use crate::gil::detached;

/// Reads every `<code>.csv` of a folder (in parallel, without the GIL). Returns the bars and
/// one line per file that had rejected rows or was refused.
#[pyfunction]
#[pyo3(name = "read_csv_dir")]
pub(crate) fn py_read_csv_dir<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
) -> PyResult<(PyBarData, Bound<'py, PyList>)> {
    let dir = detached(py, || hantu_core::io::read_csv_dir(&path)).map_err(core_err)?;
    let problems: Vec<String> = dir.reports.iter().filter(|r| !r.is_clean()).map(ToString::to_string).collect();
    Ok((PyBarData::new(dir.series)?, PyList::new(py, problems)?))
}
