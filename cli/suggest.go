package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// addSuggestions makes every level of the command tree suggest the
// nearest subcommand for a mistyped word (cobra's SuggestionsFor:
// Levenshtein distance 2, a prefix, or SuggestFor), not only the root:
//
//   - a group (sluice pipeline lst) names the unknown command and
//     suggests;
//   - a command that takes a FILE besides its subcommands (sluice run
//     lsit, sluice tune lst) says no file has that name and suggests;
//   - a flag error after a mistyped subcommand (sluice run sumbit
//     --pipeline x, where only submit has --pipeline) suggests too.
func addSuggestions(root *cobra.Command) {
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		if s := suggestion(cmd, cmd.Flags().Args()); s != "" {
			return fmt.Errorf("%w (%s)", err, s)
		}
		return err
	})
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, c := range cmd.Commands() {
			walk(c)
		}
		if !cmd.HasSubCommands() || !cmd.HasParent() {
			return // the root suggests already
		}
		if args := cmd.Args; args != nil {
			cmd.Args = func(c *cobra.Command, a []string) error {
				err := args(c, a)
				if err == nil {
					return nil
				}
				if isNoArgs(err) {
					return unknownCommand(c, a[0])
				}
				if s := suggestion(c, a); s != "" {
					return fmt.Errorf("%w (%s)", err, s)
				}
				return err
			}
		}
		if run := cmd.RunE; run != nil {
			cmd.RunE = func(c *cobra.Command, a []string) error {
				if len(a) > 0 {
					if _, err := os.Stat(a[0]); errors.Is(err, fs.ErrNotExist) {
						if s := suggestion(c, a); s != "" {
							return usagef("%s: no such file or directory (%s)", a[0], s)
						}
					}
				}
				return run(c, a)
			}
		}
	}
	walk(root)
}

// isNoArgs tells cobra.NoArgs's error ("unknown command ...") from the
// others.
func isNoArgs(err error) bool { return strings.HasPrefix(err.Error(), "unknown command") }

func unknownCommand(cmd *cobra.Command, word string) error {
	msg := fmt.Sprintf("unknown command %q for %q", word, cmd.CommandPath())
	if s := suggestion(cmd, []string{word}); s != "" {
		msg += " (" + s + ")"
	} else {
		msg += fmt.Sprintf(" (see `%s --help`)", cmd.CommandPath())
	}
	return usagef("%s", msg)
}

// suggestion is "did you mean ..." when the first of args is close to a
// subcommand of cmd, else "". The closest win: names one edit away before
// those two away, and among those a name with the same letters (a
// transposition, lsit for list) before the others.
func suggestion(cmd *cobra.Command, args []string) string {
	if len(args) == 0 || !cmd.HasSubCommands() || strings.ContainsAny(args[0], `/\.`) {
		return ""
	}
	var names []string
	for d := 1; d <= 2 && len(names) == 0; d++ {
		cmd.SuggestionsMinimumDistance = d
		names = cmd.SuggestionsFor(args[0])
	}
	var same []string
	for _, n := range names {
		if sortedLetters(n) == sortedLetters(args[0]) {
			same = append(same, n)
		}
	}
	if len(same) > 0 {
		names = same
	}
	if len(names) == 0 {
		return ""
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", cmd.CommandPath()+" "+n)
	}
	return "did you mean " + strings.Join(q, " or ") + "?"
}

func sortedLetters(s string) string {
	r := []rune(strings.ToLower(s))
	slices.Sort(r)
	return string(r)
}
