package pyruntime

import (
	"path"
	"regexp"
	"strings"
	"sync"
)

// Requirement is one package a component asked pip to install.
type Requirement struct {
	// Name is the distribution name as written ("scikit-learn"). It is empty
	// when it cannot be derived (a bare URL/path, or a requirements file).
	Name string
	// Extras are the requested extras ("pkg[a,b]"); informational.
	Extras []string
	// Spec is the version specifier without spaces (">=3.7.4,<5"), if any.
	Spec string
	// URL is the direct reference of "name @ url" or a bare URL/path.
	URL string
	// Marker is the environment marker after ';' (python_version<"3.9").
	Marker string
	// Raw is the requirement exactly as it appeared in the command.
	Raw string
}

// String returns the requirement as written.
func (r Requirement) String() string { return r.Raw }

// NormalizedName is Name in PEP 503 normal form (lowercase, runs of "-_."
// replaced by "-").
func (r Requirement) NormalizedName() string { return normalizeName(r.Name) }

// IsKFP reports whether the requirement is kfp itself or a kfp-* package
// ("kfp-pipeline-spec", "kfp-kubernetes", ...): those are satisfied by the
// embedded shim and need not be installed.
func (r Requirement) IsKFP() bool {
	n := r.NormalizedName()
	return n == "kfp" || strings.HasPrefix(n, "kfp-")
}

var nameRunRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[-_.]+`) })

func normalizeName(n string) string {
	return nameRunRE().ReplaceAllString(strings.ToLower(strings.TrimSpace(n)), "-")
}

// directRefRE matches the start of a PEP 508 "name[extras] @ url".
var directRefRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@`) })

var reqNameRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(.*)$`)
})

// ParseRequirement parses a PEP 508 requirement string as pip accepts it on
// its command line. URLs and local paths are recognised; their Name comes
// from "#egg=", the wheel/sdist file name, or is "kfp" for a checkout of the
// KFP SDK (kfp_package_path); otherwise it is empty.
func ParseRequirement(s string) Requirement {
	r := Requirement{Raw: s}
	s = strings.TrimSpace(s)
	if !directRefRE().MatchString(s) && looksLikeURLOrPath(s) {
		if i := strings.Index(s, " ;"); i >= 0 {
			r.Marker = strings.TrimSpace(s[i+2:])
			s = strings.TrimSpace(s[:i])
		}
		r.URL = s
		r.Name = nameFromURL(s)
		return r
	}
	m := reqNameRE().FindStringSubmatch(s)
	if m == nil {
		return r
	}
	r.Name = m[1]
	if m[2] != "" {
		for _, e := range strings.Split(m[2], ",") {
			if e = strings.TrimSpace(e); e != "" {
				r.Extras = append(r.Extras, e)
			}
		}
	}
	rest := strings.TrimSpace(m[3])
	if strings.HasPrefix(rest, "@") {
		u := strings.TrimSpace(rest[1:])
		if i := strings.Index(u, " ;"); i >= 0 {
			r.Marker = strings.TrimSpace(u[i+2:])
			u = strings.TrimSpace(u[:i])
		}
		r.URL = u
		return r
	}
	if i := strings.Index(rest, ";"); i >= 0 {
		r.Marker = strings.TrimSpace(rest[i+1:])
		rest = rest[:i]
	}
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") {
		rest = rest[1 : len(rest)-1]
	}
	r.Spec = strings.Join(strings.Fields(rest), "")
	return r
}

func looksLikeURLOrPath(s string) bool {
	if strings.Contains(s, "://") || strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") ||
		strings.HasPrefix(s, "~") || strings.HasPrefix(s, "file:") {
		return true
	}
	for _, ext := range []string{".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"} {
		if strings.HasSuffix(strings.ToLower(s), ext) {
			return true
		}
	}
	return false
}

var eggRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[#&]egg=([A-Za-z0-9._-]+)`) })

func nameFromURL(u string) string {
	if m := eggRE().FindStringSubmatch(u); m != nil {
		return m[1]
	}
	low := strings.ToLower(u)
	if strings.Contains(low, "kubeflow/pipelines") && strings.Contains(low, "sdk/python") {
		return "kfp"
	}
	base := u
	if i := strings.IndexAny(base, "#?"); i >= 0 {
		base = base[:i]
	}
	base = path.Base(strings.TrimRight(base, "/"))
	switch {
	case strings.HasSuffix(base, ".whl"):
		// name-version(-build)?-python-abi-platform.whl
		if i := strings.Index(base, "-"); i > 0 {
			return base[:i]
		}
	case strings.HasSuffix(base, ".tar.gz"), strings.HasSuffix(base, ".zip"),
		strings.HasSuffix(base, ".tgz"), strings.HasSuffix(base, ".tar.bz2"):
		if i := strings.LastIndex(base, "-"); i > 0 {
			return base[:i]
		}
	}
	return ""
}

// SplitPipInstall recognises the package-install prefix KFP puts in front of
// a component's command (FORMAT.md §6.1):
//
//	["sh", "-c", "<script with pip install ... && \"$0\" \"$@\">", rest...]
//
// It handles the kfp 2.x script (ensurepip block, one or two
// `python3 -m pip install` commands, the use_venv block) and the KFP v1
// `(pip install ... || pip install ... --user) && "$0" "$@"` form. When
// recognised it returns the command that the script re-executes
// (command[3:], e.g. the "sh -ec <launch>" part) and the requirements found
// in the install commands, deduplicated, in order; index/host flags are
// ignored. A "-r file" argument yields a Requirement with an empty Name and
// Raw "-r file". If the command does not have that shape, found is false
// and rest is the command unchanged.
func SplitPipInstall(command []string) (rest []string, pkgs []Requirement, found bool) {
	if len(command) < 4 || command[1] != "-c" || !isShell(command[0]) {
		return command, nil, false
	}
	script := command[2]
	if !strings.Contains(script, "pip") || !strings.Contains(script, "install") {
		return command, nil, false
	}
	toks := shellTokens(script)
	if !hasReexec(toks) {
		return command, nil, false
	}
	raws, ok := pipInstallArgs(toks)
	if !ok {
		return command, nil, false
	}
	seen := map[string]bool{}
	for _, raw := range raws {
		if seen[raw] {
			continue
		}
		seen[raw] = true
		if strings.HasPrefix(raw, "-r ") {
			pkgs = append(pkgs, Requirement{Raw: raw})
			continue
		}
		pkgs = append(pkgs, ParseRequirement(raw))
	}
	return command[3:], pkgs, true
}

func isShell(s string) bool {
	switch s {
	case "sh", "/bin/sh", "/usr/bin/sh", "bash", "/bin/bash", "/usr/bin/bash":
		return true
	}
	return false
}

type shellToken struct {
	text string
	op   bool // operator or line break
}

// hasReexec reports whether the script runs `"$0" "$@"`.
func hasReexec(toks []shellToken) bool {
	for i := 0; i+1 < len(toks); i++ {
		if !toks[i].op && !toks[i+1].op && toks[i].text == "$0" && toks[i+1].text == "$@" {
			return true
		}
	}
	return false
}

// pipOptsWithValue are pip install options that consume the next argument.
var pipOptsWithValue = map[string]bool{
	"-i": true, "--index-url": true, "--extra-index-url": true, "--trusted-host": true,
	"-f": true, "--find-links": true, "-c": true, "--constraint": true,
	"-t": true, "--target": true, "--prefix": true, "--root": true, "--src": true,
	"--platform": true, "--python-version": true, "--implementation": true, "--abi": true,
	"--upgrade-strategy": true, "--progress-bar": true, "--cache-dir": true, "--log": true,
	"--proxy": true, "--retries": true, "--timeout": true, "--exists-action": true,
	"--cert": true, "--client-cert": true, "--global-option": true, "--config-settings": true,
	"-C": true, "--only-binary": true, "--no-binary": true, "--report": true, "--python": true,
	"--root-user-action": true, "--keyring-provider": true,
}

// pipInstallArgs returns the requirement arguments of every
// `pip install` command in the token stream; ok is false if there is none.
func pipInstallArgs(toks []shellToken) (reqs []string, ok bool) {
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].op || toks[i+1].op || !isPip(toks[i].text) || toks[i+1].text != "install" {
			continue
		}
		ok = true
		j := i + 2
		for ; j < len(toks) && !toks[j].op; j++ {
			a := toks[j].text
			switch {
			case a == "-r" || a == "--requirement":
				if j+1 < len(toks) && !toks[j+1].op {
					j++
					reqs = append(reqs, "-r "+toks[j].text)
				}
			case strings.HasPrefix(a, "--requirement="):
				reqs = append(reqs, "-r "+strings.TrimPrefix(a, "--requirement="))
			case a == "-e" || a == "--editable":
				if j+1 < len(toks) && !toks[j+1].op {
					j++
					reqs = append(reqs, toks[j].text)
				}
			case pipOptsWithValue[a]:
				j++
			case strings.HasPrefix(a, "-"):
				// flag, or --opt=value
			case a != "":
				reqs = append(reqs, a)
			}
		}
		i = j - 1
	}
	return reqs, ok
}

var pipVersionedRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^pip3\.\d+$`) })

func isPip(w string) bool {
	b := path.Base(w)
	return b == "pip" || b == "pip3" || pipVersionedRE().MatchString(b)
}

// shellTokens splits a POSIX shell script into words (with quotes removed)
// and operators (&&, ||, ;, |, &, (, ), line breaks). It understands
// quoting, backslash escapes and comments — enough to read pip commands,
// not a full shell parser ($(...) is split like plain text).
func shellTokens(s string) []shellToken {
	var toks []shellToken
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			toks = append(toks, shellToken{text: cur.String()})
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 < len(s) {
				i++
				if s[i] == '\n' {
					continue // line continuation
				}
				cur.WriteByte(s[i])
				inWord = true
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				cur.WriteString(s[i+1:])
				i = len(s)
			} else {
				cur.WriteString(s[i+1 : i+1+j])
				i += j + 1
			}
		case c == '"':
			inWord = true
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					i++
					if s[i] == '\n' {
						continue
					}
				}
				cur.WriteByte(s[i])
			}
		case c == '#' && !inWord:
			for i < len(s) && s[i] != '\n' {
				i++
			}
			i--
		case c == ' ' || c == '\t' || c == '\r':
			flush()
		case c == '\n' || c == ';' || c == '(' || c == ')':
			flush()
			toks = append(toks, shellToken{text: string(c), op: true})
		case c == '&' || c == '|':
			flush()
			if i+1 < len(s) && s[i+1] == c {
				toks = append(toks, shellToken{text: s[i : i+2], op: true})
				i++
			} else {
				toks = append(toks, shellToken{text: string(c), op: true})
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return toks
}
