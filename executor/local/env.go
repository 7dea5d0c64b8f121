package local

import (
	"os"
	"strings"
)

// keptEnv are the variables of the server's environment a step gets:
// where programs are and how text and time are shown. Everything else —
// the server's token, database URL, cloud credentials, proxies — stays
// out (see docs/SECURITY.md).
var keptEnv = []string{"PATH", "LANG", "LANGUAGE", "TZ"}

// CleanEnv is the environment a step starts from on this machine: PATH,
// the locale (LANG, LANGUAGE, LC_*) and TZ of the calling process, and a
// PATH of the usual directories when it has none.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "LC_") {
			env = append(env, kv)
			continue
		}
		for _, k := range keptEnv {
			if name == k {
				env = append(env, kv)
			}
		}
	}
	if os.Getenv("PATH") == "" {
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	return env
}

// Without returns env without the variables named in drop.
func Without(env []string, drop ...string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, d := range drop {
			if name == d {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// CleanEnvWith is CleanEnv plus the named variables of the calling
// process that are set (`--step-env`, SLUICE_STEP_ENV): what an
// operator chooses to hand every step, such as a proxy.
func CleanEnvWith(names ...string) []string {
	env := CleanEnv()
	for _, n := range names {
		if v, ok := os.LookupEnv(n); ok {
			env = append(Without(env, n), n+"="+v)
		}
	}
	return env
}
