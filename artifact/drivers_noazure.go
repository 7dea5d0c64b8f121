//go:build !azure

package artifact

const haveAzure = false
