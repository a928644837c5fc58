/** The nginx helper lives with the benches (the edge bench runs it too); tests import it from here. */
export { freePort, NGINX, startNginx, type Nginx } from '../../scripts/bench/nginx-process';
