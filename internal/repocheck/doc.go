// Package repocheck holds tests about the repository itself rather than
// about a package: that it stands on its own. Code comments, testdata
// headers and the README cite the pages under docs/ (docs/README.md says
// how), never notes, specifications or issue numbers a reader of the
// repository does not have, and every docs/ citation names a page and a
// section that exist.
//
//	go test ./internal/repocheck
package repocheck
