// Package benchmarks holds wecforge's benchmarks and their realistic fixtures: a ~60-line
// Deployment, a Service, a ConfigMap, WECs with ~10 labels and ~10 properties, and rule sets of
// 3, 10 and 100 CustomizationRules. See README.md for the measured numbers and the command
// that reproduces them.
package benchmarks
