from core.roles import Role


def test_login_and_home(client, login_as):
    user = login_as(Role.officer, "north_team")
    response = client.get("/")
    assert response.status_code == 200
    assert user.full_name in response.get_data(as_text=True)


def test_totp_role_login(client, login_as):
    login_as(Role.admin, "city")
    assert client.get("/units").status_code == 200
