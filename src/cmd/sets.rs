//! sets commands (being written).

use super::CommandTable;

pub fn register(_t: &mut CommandTable) {}
