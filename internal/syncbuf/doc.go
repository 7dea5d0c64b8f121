// Package syncbuf provides Buffer, a bytes.Buffer that one goroutine (or a
// process's output copier) may write while another reads it, as tests do
// with the output of a server they started.
package syncbuf
