"""How to read each demo's chart, in two or three sentences: shown on the demo's own page, where no
lesson text around it explains what the axes and the colours mean. One entry per registered demo
(a test checks)."""

HOW_TO_READ = {
    "backoff-contention": (
        "Each line is one backoff strategy; across is the number of clients racing for the row. The first "
        "chart counts the writes that reached the database (work), the second the time until the last "
        "write succeeded (log scale): lower is better on both, and the dot marks your run. The histograms "
        "below show when the writes landed: tall spikes and empty gaps mean clients retried in lockstep."),
    "backoff-timeline": (
        "Time runs from left to right from the first call; the shaded band is the time the dependency is "
        "down. Each red marker is a failed attempt and each blue bar the backoff wait before the next one: "
        "watch the waits double until the client succeeds or gives up."),
    "breaker-step": (
        "The diagram shows the breaker's three states; the highlighted one is where it is now. Each button "
        "sends one request (or lets time pass) and the log lists what happened to it: rejected fast while "
        "OPEN, a test request while HALF_OPEN, passed through while CLOSED."),
    "breaker-timeline": (
        "Every dot is one request, placed at the time it was sent: green succeeded, red failed, orange was "
        "rejected fast by the open breaker. The coloured background is the breaker's state (green CLOSED, "
        "red OPEN, orange HALF_OPEN), and the bars below count the calls per second that still reached the "
        "dependency: while it is OPEN there are none."),
    "bulkhead": (
        "The bars show, per feature, the share of its requests that succeeded, were rejected or gave up, "
        "with one shared pool and with bulkheads side by side. The time charts below show busy threads, "
        "success and latency second by second: look at checkout, whose backend never fails."),
    "cascade": (
        "The same traffic runs twice, without a breaker in A and with one. The first chart shows A's busy "
        "threads against its pool size, the second what C waits (log scale), the third the calls that still "
        "reach B; the shaded stretch is when B is slow and the dashed line when the breaker trips."),
    "degradation": (
        "Each bar splits the page views into a full page, a page missing an optional section, and an "
        "error page: all-or-nothing on one bar, graceful degradation on the other. The second chart "
        "compares how long the page views took under the two designs."),
    "double-charge": (
        "The bars count the charges made for the same orders, without and with an idempotency key: the "
        "part above one charge per order is money taken twice. The second chart compares this run's "
        "duplicates with the formula as the share of lost responses grows."),
    "failure-lab": (
        "The diagram is the service graph: each box is a service, each arrow a call with the patterns you "
        "wired on it. The charts follow the end users over time (success, then p50 and p99 latency) and "
        "each service's load and busy threads; the last one counts charges and duplicates at payments."),
    "fallacy-bandwidth": (
        "Across is how busy the link is, up is the mean time for a response. The curves are the queueing "
        "formulas and the dot is the simulation at your rate: flat at first, then a steep wall as the link "
        "nears 100 % busy."),
    "fallacy-admin": (
        "One bar per design: the service's own timeouts and retries, and the same service with the "
        "gateway's deadline passed down. Each bar splits the requests into answered in time (green), an "
        "error in time, and a gateway timeout (red); the table counts the attempts still running after "
        "the user was already told it failed."),
    "fallacy-cost": (
        "Each bar is the monthly cross-zone bill for the same traffic: at the failure rate you set, with "
        "no retries, and during an outage with the same retries. The height above the no-retries bar is "
        "what the retries cost; the checked box multiplies it out by hand."),
    "fallacy-homogeneous": (
        "Across is the response size (log scale), up is the share of responses larger than that: the "
        "line is the formula and the dot the simulation at the tunnel's limit. Everything right of the "
        "red tunnel line cannot pass the smaller hop; the dotted line is a health check, far below it."),
    "fallacy-latency": (
        "One pair of bars per distance between the machines: the time to fetch all the items one call at a "
        "time, and in batches. The server's work is the same in both; the difference is round trips, which "
        "grow with the distance."),
    "fallacy-network": (
        "Across is the number of calls in the chain, up is the share of requests that succeed end to end. "
        "The line is the formula (each call's success multiplied together) and the dots the simulation: "
        "each extra call takes a little more away."),
    "fallacy-secure": (
        "One group of bars per endpoint design: the recorded payments an attacker sent again that were "
        "accepted (red) and forged requests accepted; the grey markers are the formula. A signature stops "
        "forgeries but not replays; only a single-use key refuses every replay."),
    "fallacy-topology": (
        "Across is the time since the service moved to a new address, up is how many clients still call "
        "the old one: the solid line is the simulation, the dashed one the formula. The vertical line is "
        "the DNS TTL: by then every client that re-resolves has moved; pinned clients never do."),
    "idempotency-race": (
        "Two columns, copies A and B of the same charge, run their SQL statements in the order you picked, "
        "step by step from top to bottom. Read across to see which statement each copy ran when, and at "
        "the bottom how many charges each design made: one is right."),
    "retry-amplification": (
        "Each pair of bars is a retry policy: the attempts that reach the failing dependency for one user "
        "request, by the formula and simulated (log scale, so each step up is ten times more). The curves "
        "below show, for every failure rate, the attempts made and the share of requests that succeed."),
    "retry-budget": (
        "Time runs across; the capacity drops in the shaded window. The first chart is the load offered to "
        "the server against its capacity, the second the goodput (useful answers per second), the third "
        "the requests piled up at the server. A policy recovers when its goodput returns after the window."),
    "retry-storm": (
        "Across is time since the failure, up the calls that arrive in each 10 ms. Without jitter the "
        "retries come in tall spikes, all clients at once; with jitter the same calls are spread into a low "
        "band. The peak height is what the dependency has to survive."),
    "timeout-retry-budget": (
        "The first chart lays out one request's attempts in time: bars are attempts, gaps are backoff "
        "waits, and the vertical line is the caller's deadline; anything to its right runs for nobody. The "
        "histogram compares how long callers wait with and without the deadline bounding the retries."),
    "timeout-tradeoff": (
        "The histogram shows how long the calls took (log scales); dotted lines mark p50, p99 and p99.9, "
        "and the shaded area from your timeout rightwards holds the calls it cuts off. The second chart is "
        "the price on both sides: across, the thread time held per 1,000 requests; up, the share of calls "
        "cut off that would have answered."),
}
