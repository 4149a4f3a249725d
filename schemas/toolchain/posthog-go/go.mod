module github.com/posthog/posthog-go

go 1.19
