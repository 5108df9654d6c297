package main

import (
	"errors"

	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/pipeline"
)

// newFilter returns the term filter of stages 1 and 3: the catalog's
// compiled safety lists. catalog.Load already failed the start when a list
// did not load; a catalog without a filter is a programming error, and the
// server must not run without one (docs/safety.md).
func newFilter(cat *catalog.Catalog) (pipeline.Filter, error) {
	f := cat.Filter()
	if f == nil {
		return nil, errors.New("the catalog has no compiled safety lists")
	}
	return f, nil
}
