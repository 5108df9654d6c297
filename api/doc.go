// Package api is the wire vocabulary of the ai4artsed HTTP API: the SSE event
// types and their payloads, the error codes and the error body, and the
// request and response bodies of the JSON routes (docs/api.md).
//
// Every part of the server that writes or reads these shapes uses the types
// here: the pipeline publishes events with them, the SSE handler and the
// stores pass them through, the Go client in package client decodes them, and
// the OpenAPI document served at GET /api/openapi.json describes them. Nobody
// writes an event's JSON by hand.
//
// The package imports only the standard library.
package api
