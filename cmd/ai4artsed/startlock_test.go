package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store/postgres"
	"github.com/ai4artsed/ai4artsed/internal/supervisor"
)

// TestOneStartAmongServersOnPostgres builds two servers on one PostgreSQL
// database, each with its own data dir and the same SwarmUI to start on
// demand. Asked at once, exactly one of them starts the (real, simulated)
// SwarmUI process; the other waits for it and sees it starting, then up.
func TestOneStartAmongServersOnPostgres(t *testing.T) {
	dbURL := postgresURL(t)
	addrs := freeAddrs(t, 2)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := &supHarness{exe: exe, swarmAddr: addrs[0], comfyAddr: addrs[1], startsFile: filepath.Join(t.TempDir(), "starts")}
	if err := os.WriteFile(h.startsFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.killLeftovers(t) }) // after both servers stopped
	command := h.launch(500 * time.Millisecond)
	var sups []*supervisor.Supervisor
	for range 2 {
		env := newEnv(t, envOptions{mutate: func(s *Settings) {
			s.DatabaseURL = dbURL
			s.SwarmURL, s.ComfyURL = "http://"+h.swarmAddr, "http://"+h.comfyAddr
			s.SwarmAutoStart, s.SwarmStartCommand, s.SwarmStopOnExit = true, command, true
			s.SwarmStartupTimeout, s.SwarmHealthInterval = 20*time.Second, 100*time.Millisecond
		}})
		sups = append(sups, env.App.Supervisor)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(sups))
	for i, s := range sups {
		wg.Go(func() { errs[i] = s.Ensure(context.Background(), nil) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Ensure of server %d: %v", i, err)
		}
	}
	if pids := h.pids(t); len(pids) != 1 {
		t.Fatalf("SwarmUI was started %d times (%v), want once", len(pids), pids)
	}
	starts := sups[0].Status().Starts + sups[1].Status().Starts
	if starts != 1 {
		t.Fatalf("the servers launched %d processes together, want 1", starts)
	}
	for i, s := range sups {
		if st := s.Status(); st.State != supervisor.StateUp {
			t.Errorf("server %d sees %s, want up", i, st.State)
		}
	}
}

// TestReplicasShareTheDeviceKey: two servers on one PostgreSQL database,
// each with a device.key of its own in its data dir, keep the first
// server's key in the database, which every server then signs with.
func TestReplicasShareTheDeviceKey(t *testing.T) {
	dbURL := postgresURL(t)
	a := newEnv(t, envOptions{mutate: func(s *Settings) { s.DatabaseURL = dbURL }})
	b := newEnv(t, envOptions{mutate: func(s *Settings) { s.DatabaseURL = dbURL }})
	keyA, err := loadOrCreateKey(filepath.Join(a.App.Settings.DataDir, "device.key"))
	if err != nil {
		t.Fatal(err)
	}
	keyB, err := loadOrCreateKey(filepath.Join(b.App.Settings.DataDir, "device.key"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(keyA, keyB) {
		t.Fatal("the two data dirs hold the same key: the test proves nothing")
	}
	db, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	shared, err := db.SharedKey(context.Background(), "device", bytes.Repeat([]byte{1}, 32))
	if err != nil || !bytes.Equal(shared, keyA) {
		t.Fatalf("the database's device key is %x (%v), want the first server's %x", shared, err, keyA)
	}
}
