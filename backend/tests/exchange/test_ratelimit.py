from deltaplane.exchange.delta.ratelimit import RateBudget, endpoint_weight


def test_weights_follow_the_doc():
    assert endpoint_weight("GET", "/v2/products") == 3
    assert endpoint_weight("GET", "/v2/tickers/C-BTC-90000-310125") == 3
    assert endpoint_weight("GET", "/v2/l2orderbook/X") == 3
    assert endpoint_weight("GET", "/v2/orders") == 3
    assert endpoint_weight("GET", "/v2/positions/margined") == 3
    assert endpoint_weight("GET", "/v2/wallet/balances") == 3
    assert endpoint_weight("POST", "/v2/orders") == 5
    assert endpoint_weight("DELETE", "/v2/orders") == 5
    assert endpoint_weight("DELETE", "/v2/orders/all") == 5
    assert endpoint_weight("GET", "/v2/orders/history") == 10
    assert endpoint_weight("GET", "/v2/fills") == 10
    assert endpoint_weight("POST", "/v2/orders/batch") == 25
    assert endpoint_weight("GET", "/v2/orders/client_order_id/x") == 1


def test_fixed_window_budget():
    budget = RateBudget(limit=10, window_s=300)
    assert budget.try_consume(301.0, 5) and budget.try_consume(302.0, 5)
    assert not budget.try_consume(303.0, 1)
    assert budget.remaining(303.0) == 0
    assert budget.reset_after(303.0) == 297.0
    assert budget.try_consume(600.0, 3)  # a new window
    assert budget.remaining(600.0) == 7
    budget.exhaust(601.0)
    assert not budget.try_consume(601.0, 1)


def test_server_reset_blocks_until_it_passes():
    budget = RateBudget(limit=100)
    budget.block(10.0, 2.5)
    assert not budget.try_consume(11.0, 1) and budget.reset_after(11.0) == 1.5
    assert budget.try_consume(12.6, 1)
