package api_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"frontdesk/api"
	"frontdesk/gate/access"
)

// BenchmarkAuthenticatedRead measures reads of one patient event over real
// HTTPS (TLS 1.3 on loopback, keep-alive connections) with an API key:
// authentication, authorization, the read, and — with the access log on —
// the durable append of its access event before the response. The
// no-access-log runs switch the event off (a benchmark-only hook, not a
// setting) to show what it costs. Reported: reads/s and latency p50/p99.
func BenchmarkAuthenticatedRead(b *testing.B) {
	for _, clients := range []int{1, 16, 64} {
		for _, on := range []bool{true, false} {
			name := "access-log"
			if !on {
				name = "no-access-log"
			}
			b.Run(fmt.Sprintf("%s/clients=%d", name, clients), func(b *testing.B) { benchRead(b, on, clients) })
		}
	}
}

func benchRead(b *testing.B, recordAccess bool, clients int) {
	e := newEnv(b)
	id := e.seedPatient("alpha", "patient/1", map[string]string{"name": "Bench Patient", "phone": "555-0100"})
	tok, _ := e.login(e.account("reader", "alpha", access.Viewer))
	key := e.key(tok, "alpha", access.Viewer)
	api.SetRecordAccess(e.srv, recordAccess)
	addr := serveTLS(b, e.srv)
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: caPool(b, e), MinVersion: tls.VersionTLS13},
		MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients,
	}}
	url := "https://" + addr + "/v1/workspaces/alpha/events/" + id + "?phi=true"
	get := func() (time.Duration, error) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return time.Since(start), nil
	}
	for i := 0; i < clients; i++ {
		if _, err := get(); err != nil {
			b.Fatal(err)
		}
	}
	before := e.ledger("alpha").Size()
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				d, err := get()
				if err != nil {
					failed.Store(err)
					return
				}
				lat[i] = d
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	written := e.ledger("alpha").Size() - before
	if recordAccess && written != uint64(b.N) || !recordAccess && written != 0 {
		b.Fatalf("%d reads appended %d access events", b.N, written)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reads/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkAccessEvent measures the access event alone: one durable
// append per call, from 1 or 64 concurrent requests, as group commit sees
// them.
func BenchmarkAccessEvent(b *testing.B) {
	for _, par := range []int{1, 64} {
		b.Run(fmt.Sprintf("concurrent=%d", par), func(b *testing.B) {
			e := newEnv(b)
			var ok atomic.Int64
			err := e.srv.Mount(api.Route{Method: "GET", Pattern: "/v1/workspaces/{ws}/bench/access", Workspace: true, Capability: access.ReadEvents,
				Handler: func(w http.ResponseWriter, r *http.Request, c *api.Call) {
					if err := c.Record(r.Context(), api.Access{Action: "read", Resource: "patient/1", Patient: "patient/1"}); err != nil {
						c.Fail(w, err)
						return
					}
					ok.Add(1)
					c.NoContent(w)
				}})
			if err != nil {
				b.Fatal(err)
			}
			h := e.srv.LocalHandler("bench")
			b.ResetTimer()
			start := time.Now()
			if par == 1 {
				for i := 0; i < b.N; i++ {
					do(h, "GET", "/v1/workspaces/alpha/bench/access", "", nil)
				}
			} else {
				// RunParallel starts SetParallelism × GOMAXPROCS goroutines.
				b.SetParallelism(max(1, par/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						do(h, "GET", "/v1/workspaces/alpha/bench/access", "", nil)
					}
				})
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
			if ok.Load() != int64(b.N) {
				b.Fatalf("%d of %d access events recorded", ok.Load(), b.N)
			}
		})
	}
}
