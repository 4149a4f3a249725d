// Package posthog is a local stand-in for github.com/posthog/posthog-go, which the Go module
// proxy cannot fetch here. It declares the exported API that generated code and its callers use,
// with the same names and types as the real SDK, so `go vet` and `go build` check the generated
// code against that API. It sends nothing.
package posthog

import "time"

// Properties is the real SDK's property map.
type Properties map[string]interface{}

// NewProperties returns an empty property map.
func NewProperties() Properties {
	return make(Properties, 10)
}

// Set sets one property and returns the map, as the real SDK does.
func (p Properties) Set(name string, value interface{}) Properties {
	p[name] = value
	return p
}

// Merge copies props into p and returns p.
func (p Properties) Merge(props Properties) Properties {
	for key, value := range props {
		p[key] = value
	}
	return p
}

// Groups is the real SDK's group map.
type Groups map[string]interface{}

// Capture is the real SDK's capture message.
type Capture struct {
	Type             string
	Uuid             string
	DistinctId       string
	Event            string
	Timestamp        time.Time
	Properties       Properties
	Groups           Groups
	SendFeatureFlags interface{}
}

// Message is what Client.Enqueue accepts.
type Message interface{}

// Config is the real SDK's client configuration (the fields examples use).
type Config struct {
	Endpoint string
	Interval time.Duration
}

// Client is the real SDK's client interface (the methods examples use).
type Client interface {
	Close() error
	Enqueue(Message) error
}

type client struct{}

func (client) Close() error          { return nil }
func (client) Enqueue(Message) error { return nil }

// New returns a client for apiKey with the default configuration.
func New(apiKey string) Client {
	return client{}
}

// NewWithConfig returns a client for apiKey with config.
func NewWithConfig(apiKey string, config Config) (Client, error) {
	return client{}, nil
}
