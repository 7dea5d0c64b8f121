package executor

import (
	"fmt"
	"os/user"
	"strconv"
)

// User is an account steps run as (`--step-user`), instead of the
// server's own.
type User struct {
	Name     string
	UID, GID uint32
	// Groups are its supplementary groups.
	Groups []uint32
}

// LookupUser finds an account by name or numeric id.
func LookupUser(name string) (*User, error) {
	u, err := user.Lookup(name)
	if err != nil {
		if _, nerr := strconv.Atoi(name); nerr == nil {
			u, err = user.LookupId(name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("step user %q: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("step user %q: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("step user %q: gid %q: %w", name, u.Gid, err)
	}
	out := &User{Name: u.Username, UID: uint32(uid), GID: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, g := range ids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil && uint32(n) != out.GID {
				out.Groups = append(out.Groups, uint32(n))
			}
		}
	}
	return out, nil
}
