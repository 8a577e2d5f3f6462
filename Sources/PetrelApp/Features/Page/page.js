// Petrel's status page: the hit button and the city lookup. Everything else is in the HTML.
"use strict";

// The API's error shape is {"error": {"message": …}}; anything else is shown by its status.
async function problem(response) {
  try {
    const body = await response.json();
    if (body.error && body.error.message) return body.error.message;
  } catch (_) { /* not the API's error shape */ }
  return `${response.status} ${response.statusText}`;
}

const grouped = (number) => number.toLocaleString("en-US");

const hitButton = document.getElementById("hit");
if (hitButton) {
  const hits = document.getElementById("hits");
  const hitError = document.getElementById("hit-error");
  hitButton.addEventListener("click", async () => {
    hitButton.disabled = true;
    hitError.textContent = "";
    try {
      const response = await fetch("/hits", { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!response.ok) throw new Error(await problem(response));
      const { hits: count } = await response.json();
      hits.dataset.count = count;
      hits.textContent = grouped(count);
    } catch (error) {
      hitError.textContent = `Not counted: ${error.message}`;
    } finally {
      hitButton.disabled = false;
    }
  });
}

const lookup = document.getElementById("lookup");
const result = document.getElementById("city-result");
lookup.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = document.getElementById("city-name").value.trim();
  if (!name) return;
  result.className = "";
  result.removeAttribute("data-population");
  result.textContent = "Looking up…";
  try {
    // Dots encoded too: a browser resolves /cities/.. to / before sending it.
    const segment = encodeURIComponent(name).replaceAll(".", "%2E");
    const response = await fetch(`/cities/${segment}`, { headers: { Accept: "application/json" } });
    if (response.status === 404) {
      result.className = "failing";
      result.textContent = `No city named “${name}”.`;
      return;
    }
    if (!response.ok) throw new Error(await problem(response));
    const city = await response.json();
    result.dataset.population = city.population;
    result.textContent = `${city.name}: population ${grouped(city.population)}`;
  } catch (error) {
    result.className = "failing";
    result.textContent = `Lookup failed: ${error.message}`;
  }
});
