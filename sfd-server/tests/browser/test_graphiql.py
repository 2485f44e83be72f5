"""GraphiQL at /graphql, served whole from the binary: it loads with
nothing fetched from elsewhere and runs a query against the server."""

import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import new_id, small_drama, store, visit, wait

SET_QUERY = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(arguments[0])"
RESPONSE = "return document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"


def test_graphiql_runs_a_query(server, driver):
    drama_id = store(server, small_drama(new_id(), title="The GraphiQL Corgi"))
    visit(driver, server.url + "/graphql")
    wait(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-execute-button")), "GraphiQL did not load")
    query = f'{{ drama(id: "{drama_id}") {{ title characters {{ name main }} }} }}'
    driver.execute_script(SET_QUERY, query)
    driver.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    wait(driver, lambda d: "GraphiQL Corgi" in d.execute_script(RESPONSE), "no answer in the response pane")
    answer = json.loads(driver.execute_script(RESPONSE))
    _, rest, _ = server.api("GET", f"/dramas/{drama_id}")
    assert answer == {
        "data": {
            "drama": {
                "title": rest["title"],
                "characters": [{"name": c["name"], "main": c["main"]} for c in rest["characters"]],
            }
        }
    }
    # Everything the page used came from this server.
    sources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(s.startswith(server.url) for s in sources), sources
