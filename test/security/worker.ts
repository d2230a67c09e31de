/** The security suites send their attacks as the integration suites call the API: see `call`. */
export { call as send } from "../integration/helpers";
