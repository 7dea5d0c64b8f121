package pyruntime

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// KFPVersion is the kfp SDK release whose runtime API the embedded shim
// mirrors; it is the value of kfp.__version__.
const KFPVersion = "2.14.3"

//go:embed all:python
var embedded embed.FS

// embedRoot is the directory inside embedded that becomes the PYTHONPATH
// entry.
const embedRoot = "python"

type embeddedFile struct {
	rel  string // slash-separated path below embedRoot
	data []byte
}

var (
	loadOnce  sync.Once
	loadFiles []embeddedFile
	loadHash  string
	loadErr   error
)

// skipEmbedded reports whether a path inside the embedded tree is build
// debris rather than part of the package (bytecode caches, dot files).
func skipEmbedded(name string, isDir bool) bool {
	if strings.HasPrefix(name, ".") {
		return true
	}
	if isDir {
		return name == "__pycache__"
	}
	return strings.HasSuffix(name, ".pyc") || strings.HasSuffix(name, ".pyo")
}

func load() ([]embeddedFile, string, error) {
	loadOnce.Do(func() {
		var files []embeddedFile
		err := fs.WalkDir(embedded, embedRoot, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != embedRoot && skipEmbedded(d.Name(), d.IsDir()) {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			data, err := embedded.ReadFile(p)
			if err != nil {
				return err
			}
			files = append(files, embeddedFile{rel: strings.TrimPrefix(p, embedRoot+"/"), data: data})
			return nil
		})
		if err != nil {
			loadErr = fmt.Errorf("pyruntime: reading embedded python tree: %w", err)
			return
		}
		sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
		h := sha256.New()
		for _, f := range files {
			fmt.Fprintf(h, "%s\x00%d\x00", f.rel, len(f.data))
			h.Write(f.data)
		}
		loadFiles = files
		loadHash = hex.EncodeToString(h.Sum(nil))[:16]
	})
	return loadFiles, loadHash, loadErr
}

// Version returns the content hash (16 hex digits) of the embedded Python
// tree. It names the directory Install creates, so different builds of the
// shim never share an install directory.
func Version() string {
	_, h, err := load()
	if err != nil {
		return "unknown"
	}
	return h
}

// Files returns the names (slash-separated, relative to the PYTHONPATH
// entry) of the files Install writes.
func Files() []string {
	files, _, _ := load()
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.rel
	}
	return names
}

// Install extracts the embedded Python package into dir/<Version()>/ and
// returns that directory, which is the entry to put on PYTHONPATH.
//
// The tree is written to a temporary directory inside dir and renamed into
// place, so a present target is always complete. Install is idempotent and
// safe when several processes install into the same dir concurrently.
func Install(dir string) (pythonPath string, err error) {
	files, hash, err := load()
	if err != nil {
		return "", err
	}
	if dir == "" {
		return "", errors.New("pyruntime: Install: empty directory")
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("pyruntime: Install: %w", err)
	}
	target := filepath.Join(dir, hash)
	if isDir(target) {
		return target, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("pyruntime: Install: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-"+hash+"-")
	if err != nil {
		return "", fmt.Errorf("pyruntime: Install: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	for _, f := range files {
		dst := filepath.Join(tmp, filepath.FromSlash(f.rel))
		if err = os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", fmt.Errorf("pyruntime: Install: %w", err)
		}
		if err = os.WriteFile(dst, f.data, 0o644); err != nil {
			return "", fmt.Errorf("pyruntime: Install: %w", err)
		}
	}
	if err = os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("pyruntime: Install: %w", err)
	}
	if rerr := os.Rename(tmp, target); rerr != nil {
		// Another process may have won the race; its tree is identical.
		if isDir(target) {
			os.RemoveAll(tmp)
			return target, nil
		}
		err = fmt.Errorf("pyruntime: Install: %w", rerr)
		return "", err
	}
	return target, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// PythonPathEnv returns env with pythonPath prepended to its PYTHONPATH entry
// (added if absent). env is not modified.
func PythonPathEnv(env []string, pythonPath string) []string {
	out := make([]string, 0, len(env)+1)
	found := false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PYTHONPATH="); ok {
			found = true
			if v != "" {
				kv = "PYTHONPATH=" + pythonPath + string(os.PathListSeparator) + v
			} else {
				kv = "PYTHONPATH=" + pythonPath
			}
		}
		out = append(out, kv)
	}
	if !found {
		out = append(out, "PYTHONPATH="+pythonPath)
	}
	return out
}
