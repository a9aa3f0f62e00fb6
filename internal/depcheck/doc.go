// Package depcheck holds no code: its test enforces the module's dependency
// rule (the pure packages shares, protocol, roster and identity do no
// networking and use no storage engine).
package depcheck
