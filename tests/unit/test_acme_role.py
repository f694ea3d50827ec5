"""The acme role's own expressions and templates, rendered with Ansible's templating and the role's defaults and vars.

Windows hosts cannot run here, so the Windows path is checked this way: the plan the role builds from its variables
(the same set_fact expression), the wacs.exe command line in it, and the install script the client runs. The Linux
path runs for real against pebble in tests/integration/test_acme_pebble.py.
"""

from __future__ import annotations

import hashlib
import re
import typing as t
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.ollama_remote.proxy.plugins.module_utils._acme import AcmeError
from ansible_collections.ollama_remote.proxy.plugins.module_utils._wacs import wacs_plan

REPO = Path(__file__).resolve().parents[2]
ROLE = REPO / "roles" / "acme"


def trusted(value: t.Any) -> t.Any:
    """Role files are trusted templates, as Ansible treats them."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [trusted(item) for item in value]
    if isinstance(value, dict):
        return {key: trusted(item) for key, item in value.items()}
    return value


def task(file: str, name: str) -> dict[str, t.Any]:
    return next(item for item in yaml.safe_load((ROLE / "tasks" / file).read_text()) if item.get("name") == name)


def templar(windows: bool, **overrides: t.Any) -> Templar:
    variables = {key: trusted(value) for path in ("defaults", "vars") for key, value in yaml.safe_load((ROLE / path / "main.yml").read_text()).items()}
    variables.update(
        inventory_hostname="gw1",
        ansible_managed="Managed by Ansible",
        ansible_facts={"os_family": "Windows", "env": {"ProgramData": "C:\\ProgramData"}} if windows else {"os_family": "Debian", "service_mgr": "systemd"},
        # What the gateway role passes.
        acme_identifiers=["203.0.113.10"],
        acme_webroot="C:/nginx/html-acme" if windows else "/var/www/ollama-acme",
        acme_certificate_path="C:/nginx/conf/ollama-gateway/tls/fullchain.pem" if windows else "/etc/nginx/ollama-gateway/tls/fullchain.pem",
        acme_key_path="C:/nginx/conf/ollama-gateway/tls/privkey.pem" if windows else "/etc/nginx/ollama-gateway/tls/privkey.pem",
        acme_windows_nginx_exe="C:/nginx/dist/nginx-1.28.0/nginx.exe",
        acme_windows_nginx_prefix="C:/nginx",
        acme_terms_agreed=True,
        __acme_directory_document={"json": {"meta": {"profiles": {"classic": "", "shortlived": "", "tlsserver": ""}}}},
    )
    variables.update(overrides)
    return Templar(loader=DataLoader(), variables=variables)


def windows_plan(task_name: str = "Plan the request with the profiles the server offers", **overrides: t.Any) -> dict[str, t.Any]:
    """The role's set_fact expression up to the filter, then the filter's function (the filter plugin itself is
    tested with ansible-doc and in the pebble run; here the plugin loader may belong to another test)."""
    expression = task("windows.yml", task_name)["ansible.builtin.set_fact"]["__acme_plan"]
    settings_expression = expression.replace("| ollama_remote.proxy.wacs_plan", "")
    assert settings_expression != expression
    settings = templar(True, **overrides).template(trust_as_template(settings_expression))
    return wacs_plan(settings).as_dict()


def test_the_first_windows_plan_knows_where_things_land_and_whether_the_server_matters() -> None:
    first, final = windows_plan("Plan the request"), windows_plan()
    assert first == final, "a server that offers shortlived changes nothing: a converged host need not ask it"
    assert first["wanted_profile"] == "shortlived"
    dns = windows_plan("Plan the request", acme_identifiers=["gpu.example.net"])
    assert dns["wanted_profile"] == "" and "--profile" not in dns["argv"], "no profile wanted: the directory is never read"
    without = windows_plan(__acme_directory_document={"json": {"meta": {}}})
    assert "--profile" not in without["argv"] and without["fingerprint"] != first["fingerprint"], "so a request is due, and made"


def test_a_windows_request_is_due_only_when_something_changed() -> None:
    plan = windows_plan()
    state = {"renewal": "r", "certificate": "c", "marker": hashlib.sha256(plan["fingerprint"].encode()).hexdigest()}
    # The certificate's end date comes from community.crypto's filter, which this Templar cannot load: given instead.
    expired = "(__acme_current_file.content | b64decode | community.crypto.x509_certificate_info).expired"
    expression = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["__acme_request_due"]
    assert expired in expression
    expression = expression.replace(expired, "__expired")

    def due(expired: bool = False, **changed: t.Any) -> bool:
        variables = {"__acme_plan": plan, "__acme_state": state | changed, "__expired": expired}
        return templar(True, **variables).template(trust_as_template(expression)) is True

    assert not due()
    assert due(marker="0" * 64) and due(renewal=None) and due(certificate=None) and due(expired=True)


def test_windows_defaults_download_simple_acme_with_its_published_checksum() -> None:
    render = templar(True).template
    assert render(trust_as_template("{{ acme_windows_url }}")) == (
        "https://github.com/simple-acme/simple-acme/releases/download/v2.3.5/simple-acme.v2.3.5.2195.win-x64.trimmed.zip"
    )
    assert render(trust_as_template("{{ acme_windows_checksum }}")) == "0e350b7b76fa49f4fd65c789b30bbf90e5c8d981f2ecdf06bf90dcc86d77b4b8"
    assert render(trust_as_template("{{ acme_windows_pem_dir }}")) == "C:/nginx/conf/ollama-gateway/tls/acme"
    assert render(trust_as_template("{{ __acme_wacs }}")) == "C:/Program Files/simple-acme/2.3.5.2195/wacs.exe"
    win_acme = templar(True, acme_windows_client=trust_as_template("win-acme")).template
    assert win_acme(trust_as_template("{{ acme_windows_url }}")) == (
        "https://github.com/win-acme/win-acme/releases/download/v2.2.9.1701/win-acme.v2.2.9.1701.x64.trimmed.zip"
    )
    assert win_acme(trust_as_template("{{ acme_windows_checksum }}")) == ""


def test_the_role_builds_the_windows_request_for_an_ip_address() -> None:
    plan = windows_plan()
    argv = plan["argv"]
    assert argv[0] == "C:\\Program Files\\simple-acme\\2.3.5.2195\\wacs.exe"
    assert argv[argv.index("--host") + 1] == "203.0.113.10"
    assert argv[argv.index("--profile") + 1] == "shortlived"
    assert argv[argv.index("--webroot") + 1] == "C:\\nginx\\html-acme"
    assert argv[argv.index("--pemfilespath") + 1] == "C:\\nginx\\conf\\ollama-gateway\\tls\\acme"
    assert argv[argv.index("--script") + 1] == "C:\\nginx\\conf\\ollama-gateway\\tls\\acme\\install-certificate.bat"
    assert "--commonname" not in argv and "--test" not in argv
    assert plan["renewal_file"] == "C:/ProgramData/simple-acme/acme-v02.api.letsencrypt.org/ollama-gateway.renewal.json"


def test_staging_switches_the_windows_base_uri() -> None:
    plan = windows_plan(acme_staging=True)
    assert plan["argv"][plan["argv"].index("--baseuri") + 1] == "https://acme-staging-v02.api.letsencrypt.org/"
    assert plan["task_name"] == "simple-acme renew (acme-staging-v02.api.letsencrypt.org)"


def test_win_acme_is_refused_for_lets_encrypt_ip_certificates() -> None:
    with pytest.raises(AcmeError, match=re.escape("win-acme 2.2.9.1701 cannot request the ACME profile 'shortlived'")):
        windows_plan(acme_windows_client=trust_as_template("win-acme"))


def test_the_install_script_copies_checks_and_reloads_with_the_prefix() -> None:
    render = templar(True, __acme_plan=windows_plan()).template
    script = render(trust_as_template((ROLE / "templates" / "install-certificate.bat.j2").read_text()))
    assert 'set "NEW_CERT=C:\\nginx\\conf\\ollama-gateway\\tls\\acme\\ollama-gateway-chain.pem"' in script
    assert 'set "KEY=C:\\nginx\\conf\\ollama-gateway\\tls\\privkey.pem"' in script
    assert 'set "PREFIX=C:/nginx/"' in script
    test_line = script.index('"%NGINX%" -t -q -p "%PREFIX%"')
    reload_line = script.index('"%NGINX%" -p "%PREFIX%" -s reload')
    assert script.index('copy /y "%NEW_KEY%" "%KEY%"') < test_line < reload_line


@pytest.mark.parametrize(("service_mgr", "reload"), [("systemd", "systemctl reload nginx"), ("sysvinit", "service nginx reload")])
def test_the_linux_deploy_hook_checks_before_it_reloads(service_mgr: str, reload: str) -> None:
    render = templar(False, ansible_facts={"os_family": "Debian", "service_mgr": service_mgr}).template
    hook = render(trust_as_template((ROLE / "templates" / "deploy-hook.sh.j2").read_text()))
    assert "lineage=${RENEWED_LINEAGE:-/etc/ollama-acme/live/ollama-gateway}" in hook
    assert hook.index("if ! nginx -t -q; then") < hook.index(reload)
    assert hook.rstrip().endswith(reload)


def test_the_stand_in_is_made_only_where_no_certificate_is() -> None:
    """What the stand-in holds (IP addresses only as alternative names) is tested with the self_signed_certificate plugin;
    here, that it is wired: for the identifiers, short, and never over a certificate that exists."""
    stand_in = task("bootstrap.yml", "Stand-in certificate until the first one is issued")["ollama_remote.proxy.self_signed_certificate"]
    assert stand_in["names"] == "{{ acme_identifiers }}"
    assert stand_in["keep_existing"] is True and stand_in["renew_days"] == 0
    assert stand_in["valid_days"] == "{{ __acme_standin_days }}"
