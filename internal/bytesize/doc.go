// Package bytesize words a size limit for an error message: "4 MiB",
// "256 KiB", "1000 bytes".
package bytesize
