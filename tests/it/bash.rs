//! Generated scenarios run by real bash.
