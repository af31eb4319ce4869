package codec_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoIO keeps the codec packages free of I/O, logging and metrics
// (codec turns bytes into typed PDUs and back, and nothing else).
func TestNoIO(t *testing.T) {
	forbidden := []string{"net", "log", "log/slog", "os", "github.com/panjf2000/gnet/v2", "github.com/prometheus/client_golang/prometheus", "github.com/spsmg/spsmg/authcache"}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if p == bad {
					t.Errorf("%s imports %s", path, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
