package admin

import (
	"fmt"
	"syscall"
)

// freeSpace reports the bytes free (to an unprivileged process) and in all
// on the file system holding path, with statfs, for the console's view;
// the reserve and whether free space is below it come from the store's
// own guard (proxy.Snapshot.StoreSpace).
func freeSpace(path string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, 0, fmt.Errorf("free space of store.path %s: %w", path, err)
	}
	bs := uint64(st.Bsize)
	return st.Bavail * bs, st.Blocks * bs, nil
}
