/** The fault space from the chaos-search brief, used by several test files. */
export const EXAMPLE = `name: checkout-faults
target: { entry: http://127.0.0.1:8080, services: [gateway, checkout, payment, inventory, cache] }
dimensions:
  - { name: service, type: categorical, values: [checkout, payment, inventory, cache] }
  - { name: fault, type: categorical, values: [abort, delay, both] }
  - { name: abort_status, type: categorical, values: [500, 503, 429], when: { fault: [abort, both] } }
  - { name: delay_ms, type: integer, low: 10, high: 5000, log: true, when: { fault: [delay, both] } }
  - { name: percentage, type: real, low: 1, high: 100 }
  - { name: duration_s, type: integer, low: 5, high: 30 }
constraints:
  - "percentage <= 50"          # blast-radius cap
  - "duration_s * percentage <= 1000"
blast_radius: { max_percentage: 50 }
steady_state: { max_error_rate: 0.01, max_p99_ms: 500 }
`;
