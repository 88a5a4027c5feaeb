def test_unknown_page_shows_our_404_text(client, auth):
    auth.login()
    body = client.get("/no/such/page").get_data(as_text=True)
    assert "There is nothing here, or it belongs to another workspace." in body
    assert "The requested URL was not found" not in body


def test_api_404_uses_our_text(client):
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code in (401, 404)  # the bearer check may answer first
    assert "The requested URL" not in response.get_data(as_text=True)
