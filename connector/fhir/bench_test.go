package fhir_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"frontdesk/connector/fhir"
	"frontdesk/connector/fhir/fhirtest"
	"frontdesk/internal/testkit"
)

// BenchmarkImportSynthea imports every Synthea bundle of testdata into a
// fresh ledger per iteration and reports resources read per second (all
// types, mapped or not) and version events recorded per second.
func BenchmarkImportSynthea(b *testing.B) {
	var docs [][]byte
	for _, p := range fhirtest.Synthea(b) {
		raw, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, raw)
	}
	ctx := context.Background()
	var resources, written int
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		l := testkit.Ledger(b, "bench")
		b.StartTimer()
		start := time.Now()
		for _, d := range docs {
			st, err := fhir.ImportBundle(ctx, l, bytes.NewReader(d))
			if err != nil {
				b.Fatal(err)
			}
			resources += st.Resources
			written += st.Written
		}
		elapsed += time.Since(start)
		b.StopTimer()
		l.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(resources)/elapsed.Seconds(), "resources/s")
	b.ReportMetric(float64(written)/elapsed.Seconds(), "events/s")
}

// BenchmarkSyncMedplum syncs the Synthea patients and practitioners from
// the FHIR server on loopback into a fresh ledger per iteration: resources
// per second through the egress gate, searches paged 100 at a time.
func BenchmarkSyncMedplum(b *testing.B) {
	srv := fhirtest.Start(b, fhirtest.Options{Token: testToken, Load: fhirtest.Synthea(b)})
	ctx := context.Background()
	var resources int
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		l := testkit.Ledger(b, "bench")
		g := newGate(b, l, srv.Base, secrets{"ehr-token": testToken})
		c, err := fhir.New(l, g, fhir.Config{}, fhir.Options{Appliance: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		st, err := c.Sync(ctx, fhir.SyncOptions{})
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		resources += st.Resources
		b.StopTimer()
		l.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(resources)/elapsed.Seconds(), "resources/s")
}
