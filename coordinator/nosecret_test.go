package coordinator

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestHoldsNoSecretKey checks the guarantee in doc.go structurally: no
// non-test file of this package names a secret key, a decryptor, a party
// (which holds a key share) or a decryption.
func TestHoldsNoSecretKey(t *testing.T) {
	forbidden := map[string]bool{"SecretKey": true, "Decrypt": true, "NewDecryptor": true, "DecryptNew": true,
		"Party": true, "TargetKeyFromSeed": true, "NewTargetKeyPair": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(parsed, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && forbidden[id.Name] {
				t.Errorf("%s names %s: the coordinator must hold no secret key", f, id.Name)
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("no source files checked")
	}
}
