// Package archetype is what every long-lived part of Sluice is given by
// whoever builds it: where it logs and what time it is. One value is made
// at the top (the server, a command, a test) and passed down, embedded in
// each part's configuration, as River's baseservice.Archetype is; no
// package keeps nil-default logger() or now() helpers of its own.
package archetype
