// Package scenarios is the library of ready-made simulation scenarios
// (the YAML files beside this file, described in README.md), compiled
// into the binary so that `embassy sim validate home-cut-off` works on a
// machine without the repository.
package scenarios

import (
	"embed"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Names lists the library's scenarios (file names without .yaml), sorted.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	slices.Sort(names)
	return names
}

// Read returns the file of the library scenario name, and whether there is
// one.
func Read(name string) ([]byte, bool) {
	if !slices.Contains(Names(), name) {
		return nil, false
	}
	data, err := files.ReadFile(path.Join(".", name+".yaml"))
	return data, err == nil
}
